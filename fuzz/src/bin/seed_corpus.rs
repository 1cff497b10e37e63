//! Writes the fuzz seed corpus from the test fixtures: the benchmark-shaped
//! streams of `ssekit_test_support::fixtures`, the hand-written
//! `tests/fixtures/mixed.sse`, and the regression inputs, each under several
//! chunkings and limits for `parse_chunked`; the events they contain (plus
//! strings that try to inject fields) for `encode_roundtrip`.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --bin seed_corpus -- OUT_DIR
//!
//! Every seed is checked to decode back to the case it was written from.
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use ssekit::{OwnedItem, Parser};
use ssekit_test_support::checks::{EncodeCase, ParseCase};
use ssekit_test_support::fixtures;

/// Seeds stay small: libFuzzer mutates small inputs far faster.
const MAX_STREAM: usize = 8 * 1024;

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: seed_corpus OUT_DIR"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");

    let mut streams: Vec<Vec<u8>> = fixtures::suite(0.01)
        .into_iter()
        .map(|fixture| fixture.bytes[..fixture.bytes.len().min(MAX_STREAM)].to_vec())
        .collect();
    streams
        .push(fs::read(root.join("tests/fixtures/mixed.sse")).expect("tests/fixtures/mixed.sse"));
    streams.extend(
        [
            &b"\xEF\xBB\xBFdata: bom\r\n\r\n"[..],
            b"data: cr\r\rdata: crlf\r\n\r\nid: 7\n\n",
            b"z=\n\ndata: 1\n\n",
            b"data: \xFF\xFE invalid\n\n",
            b"retry: 10\nretry: x\nid: a\0b\nevent: e\ndata\n\n",
            b"data: no blank line at the end",
        ]
        .map(<[u8]>::to_vec),
    );

    let mut parse_seeds = BTreeSet::new();
    let mut encode_seeds = BTreeSet::new();
    for stream in &streams {
        for (limit, sizes) in [
            (u16::MAX, &[][..]),
            (u16::MAX, &[1]),
            (64, &[3, 0, 7]),
            (8, &[5]),
        ] {
            let case = ParseCase {
                limit,
                chunk_sizes: Cow::Borrowed(sizes),
                stream: Cow::Borrowed(stream),
            };
            let bytes = case.encode();
            assert_eq!(
                ParseCase::decode(&bytes),
                case,
                "parse seed does not round-trip"
            );
            parse_seeds.insert(bytes);
        }
        let mut items = Vec::new();
        Parser::with_max_event_bytes(usize::MAX).feed(stream, |item| {
            if let Ok(item) = item {
                items.push(item.into_owned());
            }
        });
        for item in items {
            let case = match item {
                OwnedItem::Block {
                    event_type,
                    data,
                    id,
                } => EncodeCase {
                    event: (!event_type.is_empty()).then_some(event_type),
                    data: Some(data),
                    id,
                    chunk: 3,
                    ..EncodeCase::default()
                },
                OwnedItem::Id(id) => EncodeCase {
                    id: Some(id),
                    ..EncodeCase::default()
                },
                OwnedItem::Comment(text) => EncodeCase {
                    comment: Some(text),
                    chunk: 1,
                    ..EncodeCase::default()
                },
                OwnedItem::Retry(ms) => EncodeCase {
                    retry: Some(ms),
                    ..EncodeCase::default()
                },
            };
            encode_seeds.insert(case);
        }
    }
    // Strings that try to smuggle a field in.
    for hostile in [
        "x\ndata: injected",
        "x\r\nid: 9",
        "x\revent: y",
        "a\0b",
        "\n\n",
        "",
    ] {
        encode_seeds.insert(EncodeCase {
            event: Some(hostile.into()),
            data: Some("d".into()),
            ..EncodeCase::default()
        });
        encode_seeds.insert(EncodeCase {
            id: Some(hostile.into()),
            data: Some(hostile.into()),
            ..EncodeCase::default()
        });
        encode_seeds.insert(EncodeCase {
            comment: Some(hostile.into()),
            retry: Some(u64::MAX),
            ..EncodeCase::default()
        });
    }
    let encode_seeds: BTreeSet<Vec<u8>> = encode_seeds
        .into_iter()
        .map(|case| {
            let bytes = case.encode();
            assert_eq!(
                EncodeCase::decode(&bytes),
                case,
                "encode seed does not round-trip"
            );
            bytes
        })
        .collect();

    write_all(&out.join("parse_chunked"), &parse_seeds);
    write_all(&out.join("encode_roundtrip"), &encode_seeds);
}

fn write_all(dir: &Path, seeds: &BTreeSet<Vec<u8>>) {
    fs::create_dir_all(dir).expect("create the corpus directory");
    for (n, seed) in seeds.iter().enumerate() {
        fs::write(dir.join(format!("seed-{n:04}")), seed).expect("write a seed");
    }
    println!("{}: {} seeds", dir.display(), seeds.len());
}
