//! Oracle tests: the streaming parser, under every chunking, must produce
//! exactly what it produces for the whole stream at once, and that must be
//! what the naive whole-stream reference parser (tests/common/reference.rs)
//! derives from the spec. Runs natively and in headless browsers.

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use common::{chunkings, fixtures, parse_chunks, reference, Rng};
use ssekit::{OwnedItem, Parser};

/// Pieces of lines that exercise every rule: field names right and wrong,
/// separators, values with NUL, multibyte and invalid UTF-8, BOMs, and every
/// line ending.
const NAMES: &[&[u8]] = &[
    b"data",
    b"data",
    b"data",
    b"event",
    b"id",
    b"retry",
    b"",
    b"Data",
    b"\xEF\xBB\xBFdata",
    b"dat",
];
const SEPARATORS: &[&[u8]] = &[b":", b": ", b": ", b":  ", b":\t", b""];
const VALUES: &[&[u8]] = &[
    b"a",
    b"x",
    b" ",
    b"12",
    b"7x",
    b":",
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xEF\xBB",
    b"\xC3\xA9",
    b"\xF0\x9F\x98\x80",
    b"\xF0\x9F",
    b"\xFF",
    b"\xC3",
    "日本".as_bytes(),
    b"hello world",
];
const LINE_ENDINGS: &[&[u8]] = &[
    b"\n",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b"\r\r",
    b"",
];

fn pick<'a>(rng: &mut Rng, from: &[&'a [u8]]) -> &'a [u8] {
    from[rng.below(from.len())]
}

/// A stream of `lines` random lines, with a BOM at the start now and then.
fn generated_stream(rng: &mut Rng, lines: usize) -> Vec<u8> {
    let mut stream = Vec::new();
    if rng.below(4) == 0 {
        stream.extend_from_slice(b"\xEF\xBB\xBF");
    }
    for _ in 0..lines {
        stream.extend_from_slice(pick(rng, NAMES));
        stream.extend_from_slice(pick(rng, SEPARATORS));
        for _ in 0..rng.below(4) {
            stream.extend_from_slice(pick(rng, VALUES));
        }
        stream.extend_from_slice(pick(rng, LINE_ENDINGS));
    }
    stream
}

fn ok_items(items: Vec<Result<OwnedItem, ssekit::ParseError>>) -> Vec<OwnedItem> {
    items
        .into_iter()
        .map(|item| item.expect("no limit is reached here"))
        .collect()
}

#[test]
fn generated_streams_match_the_reference_under_every_chunking() {
    let mut rng = Rng::new(0x55E_0001);
    let mut events_seen = 0;
    for case in 0..300 {
        let fragments = 1 + rng.below(24);
        let stream = generated_stream(&mut rng, fragments);
        let expected = reference::parse_whole(&stream);
        events_seen += expected
            .iter()
            .filter(|i| matches!(i, OwnedItem::Block { .. }))
            .count();
        for chunks in chunkings(&stream, 8, 8, case) {
            let got = ok_items(parse_chunks(&mut Parser::new(), &chunks));
            assert_eq!(
                got,
                expected,
                "case {case}: stream {:?} in chunks {:?}",
                String::from_utf8_lossy(&stream),
                chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
            );
        }
    }
    // The generator must produce real events, or this test proves little.
    assert!(events_seen > 400, "only {events_seen} events generated");
}

#[test]
fn fixtures_match_the_reference_under_every_chunking() {
    for fixture in fixtures::suite(0.002) {
        let expected = reference::parse_whole(&fixture.bytes);
        assert!(!expected.is_empty(), "{} parses to nothing", fixture.name);
        for chunks in chunkings(&fixture.bytes, 32, 16, fixture.bytes.len() as u64) {
            let got = ok_items(parse_chunks(&mut Parser::new(), &chunks));
            assert!(
                got == expected,
                "fixture {} differs in chunks of {:?}",
                fixture.name,
                chunks.iter().map(|c| c.len()).take(8).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn one_parser_reused_across_streams_matches_fresh_ones() {
    // finish() must leave nothing behind: BOM state, a pending CR, buffers.
    let mut rng = Rng::new(0x55E_0002);
    let mut parser = Parser::new();
    for _ in 0..200 {
        let fragments = 1 + rng.below(12);
        let stream = generated_stream(&mut rng, fragments);
        let chunks = common::split_at_offsets(&stream, &[stream.len() / 2]);
        assert_eq!(
            ok_items(parse_chunks(&mut parser, &chunks)),
            reference::parse_whole(&stream)
        );
    }
}
