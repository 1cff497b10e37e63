//! Oracle tests: the streaming parser and dispatcher, under every chunking,
//! must produce exactly what the naive whole-stream reference parser
//! (`ssekit_test_support::reference`), written independently from the spec,
//! derives. Runs natively and in headless browsers; `tests/differential.rs`
//! checks the same against arbitrary bytes (natively, with proptest).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use ssekit::DEFAULT_MAX_EVENT_BYTES;
use ssekit_test_support::checks::check_matches_reference;
use ssekit_test_support::chunking::{chunkings, split_at_offsets, Rng};
use ssekit_test_support::pieces::random_stream;
use ssekit_test_support::{fixtures, parse_streams, reference, Item};

#[test]
fn generated_streams_match_the_reference_under_every_chunking() {
    let mut rng = Rng::new(0x55E_0001);
    let mut events_seen = 0;
    for case in 0..300 {
        let fragments = 1 + rng.below(24);
        let stream = random_stream(&mut rng, fragments);
        events_seen += reference::parse(&stream)
            .iter()
            .filter(|item| matches!(item, Item::Block { .. }))
            .count();
        for chunks in chunkings(&stream, 8, 8, case) {
            check_matches_reference(&chunks);
        }
    }
    // The generator must produce real events, or this test proves little.
    assert!(events_seen > 400, "only {events_seen} events generated");
}

#[test]
fn fixtures_match_the_reference_under_every_chunking() {
    for fixture in fixtures::suite(0.002) {
        assert!(
            !reference::parse(&fixture.bytes).is_empty(),
            "{} parses to nothing",
            fixture.name
        );
        for chunks in chunkings(&fixture.bytes, 32, 16, fixture.bytes.len() as u64) {
            check_matches_reference(&chunks);
        }
    }
}

#[test]
fn one_parser_reused_across_streams_matches_fresh_ones() {
    // finish() must leave nothing behind: BOM state, a pending CR, buffers.
    let mut rng = Rng::new(0x55E_0002);
    let streams: Vec<Vec<u8>> = (0..200)
        .map(|_| {
            let fragments = 1 + rng.below(12);
            random_stream(&mut rng, fragments)
        })
        .collect();
    let chunked: Vec<Vec<&[u8]>> = streams
        .iter()
        .map(|stream| split_at_offsets(stream, &[stream.len() / 2]))
        .collect();
    let reports = parse_streams(&chunked, DEFAULT_MAX_EVENT_BYTES);
    for (stream, items) in streams.iter().zip(reports) {
        assert_eq!(
            items,
            reference::parse(stream),
            "{:?}",
            stream.escape_ascii().to_string()
        );
    }
}
