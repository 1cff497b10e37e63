//! Every input a fuzz target once failed on (`fuzz/regressions/`), replayed
//! through the fuzz targets' own checks (`ssekit_test_support::checks`).
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

use ssekit_test_support::checks::{
    fuzz_encode_roundtrip, fuzz_parse_chunked, EncodeCase, ParseCase,
};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    // No directory: no crash found yet for this target.
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .map(|path| (path.display().to_string(), fs::read(&path).unwrap()))
        .collect()
}

#[test]
fn parse_chunked_regressions() {
    let inputs = inputs("parse_chunked");
    assert!(!inputs.is_empty());
    for (name, bytes) in inputs {
        eprintln!("replaying {name}");
        fuzz_parse_chunked(&bytes);
    }
}

#[test]
fn encode_roundtrip_regressions() {
    for (name, bytes) in inputs("encode_roundtrip") {
        eprintln!("replaying {name}");
        fuzz_encode_roundtrip(&bytes);
    }
}

#[test]
fn the_input_layouts_round_trip() {
    let case = ParseCase {
        limit: 300,
        chunk_sizes: vec![1, 0, 9].into(),
        stream: b"data: x\n\n".to_vec().into(),
    };
    assert_eq!(ParseCase::decode(&case.encode()), case);
    // Sizes cycle; 0 is an empty chunk, then one byte.
    assert_eq!(
        case.chunks(),
        [&b"d"[..], b"", b"a", b"ta: x\n\n"],
        "chunks of {case:?}"
    );
    let case = EncodeCase {
        comment: None,
        event: Some("e\u{FFFD}".into()),
        id: Some(String::new()),
        data: Some("a\nb".into()),
        retry: Some(u64::MAX),
        chunk: 2,
    };
    assert_eq!(EncodeCase::decode(&case.encode()), case);
    // Any bytes are some case; short ones too.
    for bytes in [&[][..], &[0xFF], &[0x1F, 0, 1, 2]] {
        fuzz_encode_roundtrip(bytes);
        fuzz_parse_chunked(bytes);
    }
}
