//! The parser under arbitrary bytes, chunking and size limit
//! (see `ssekit_fuzz::checks::check_parse_chunked`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssekit_fuzz::checks::{check_parse_chunked, ParseCase};

fuzz_target!(|bytes: &[u8]| check_parse_chunked(&ParseCase::decode(bytes)));
