//! The encoder under arbitrary field strings: round trip or a real refusal
//! (see `ssekit_fuzz::checks::check_encode_roundtrip`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssekit_fuzz::checks::{check_encode_roundtrip, EncodeCase};

fuzz_target!(|bytes: &[u8]| check_encode_roundtrip(&EncodeCase::decode(bytes)));
