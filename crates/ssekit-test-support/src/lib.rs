//! What ssekit's tests, benchmarks, examples and fuzz targets share, in one
//! crate that is never published:
//!
//! - [`fixtures`]: streams shaped like real SSE traffic (the benchmark
//!   suite), small in tests and large in `benches/parse.rs`;
//! - [`chunking`]: the ways the tests cut a stream into chunks (every size
//!   1, 2, 3, …, random splits, given offsets);
//! - [`pieces`]: the pieces SSE-looking test streams are made of (field
//!   names right and wrong, separators, tricky values, line endings);
//! - [`reference`](mod@reference): a naive whole-stream parser written
//!   from the spec, the oracle ssekit's streaming parser is compared with;
//! - [`parse_chunks`], [`observe_chunks`] and [`assert_observed`]: ssekit's
//!   parser (and dispatcher) run over chunks, reported as this crate's
//!   [`Item`]s and [`Seen`]s;
//! - `server` (natively): the project's fault-injecting SSE server
//!   (tests/server), started once per test process, for HTTP clients' tests;
//! - [`checks`]: the properties that the proptests, the fuzz targets and the
//!   replay of fuzz regressions all check (chunked = whole, the encoder's
//!   round trip, ssekit = the reference), and the fuzz targets' input
//!   layouts.
//!
//! # No `ssekit` type in this crate's API
//!
//! The core, `ssekit`, has this crate as a dev-dependency, and this crate
//! depends on `ssekit`. Cargo allows that cycle, but a unit test inside
//! `ssekit` (`#[cfg(test)]` in `src/`) is a second compilation of `ssekit`:
//! an `ssekit::OwnedItem` from this crate is not that test's
//! `crate::OwnedItem` ("expected `OwnedItem`, found
//! `ssekit::parse::item::OwnedItem`"). Integration tests, benchmarks,
//! examples and the fuzz crate link one `ssekit` and would not notice, but
//! one rule for every user is simpler than two. So nothing here takes or
//! returns an `ssekit` type: bytes, strings and numbers go in; this
//! crate's own records ([`Item`], [`Seen`], [`Observation`], the fuzz
//! cases) come out, or a check panics. `ssekit` is used inside, to run the
//! parser, the dispatcher and the encoder under test. A test that needs an
//! `ssekit` type makes it itself, from its own `ssekit`.
//!
//! The records also keep the [`reference`](mod@reference) parser
//! independent of what it checks: it does not use a single `ssekit` type.
//!
//! Everything here builds for `wasm32-unknown-unknown` as well (no files,
//! no processes, a seeded PRNG rather than the OS's entropy): the core's
//! tests that also run in browsers use it there.

pub mod checks;
pub mod chunking;
/// Streams shaped like real SSE traffic, after eventsource-parser's
/// benchmark suite. The tests use them small (`suite(0.002)`);
/// `benches/parse.rs` uses them at full size, and
/// `examples/write_fixtures.rs` writes them to files, with
/// [`manifest_json`](fixtures::manifest_json), for the benchmarks that run
/// outside Rust.
pub mod fixtures;
pub mod pieces;
mod record;
pub mod reference;
mod run;
#[cfg(not(target_arch = "wasm32"))]
pub mod server;

pub use record::{comment, msg, Item, Observation, Seen};
pub use run::{
    assert_observed, assert_observed_with_limit, observe_chunks, parse_chunks, parse_streams,
};

/// `bytes` in base64url without padding, as the test server's `/chunks`
/// takes them.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=group.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}
