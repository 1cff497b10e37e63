//! Only for crates/ssekit-wasm/src/scan/tests/oracle.rs, which still pulls
//! this file in with `#[path]`. The fixtures live in the test-support crate;
//! delete this file once that crate dev-depends on `ssekit-test-support`.
#![allow(dead_code)]

include!("../../crates/ssekit-test-support/src/fixtures.rs");
