//! The encoder under arbitrary field strings: round trip or a real refusal
//! (see `ssekit_test_support::checks::fuzz_encode_roundtrip`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssekit_test_support::checks::fuzz_encode_roundtrip;

fuzz_target!(|bytes: &[u8]| fuzz_encode_roundtrip(bytes));
