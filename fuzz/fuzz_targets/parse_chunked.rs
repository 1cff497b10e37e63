//! The parser under arbitrary bytes, chunking and size limit, and against
//! the reference parser (see `ssekit_test_support::checks::fuzz_parse_chunked`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssekit_test_support::checks::fuzz_parse_chunked;

fuzz_target!(|bytes: &[u8]| fuzz_parse_chunked(bytes));
