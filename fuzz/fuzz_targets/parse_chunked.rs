//! The parser under arbitrary bytes, arbitrary chunking and an arbitrary
//! size limit: it must never panic, never buffer past its limit, and must
//! give the same items (errors included) as the whole stream at once.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ssekit::Parser;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Chunk sizes, cycled; 0 means an empty chunk, then one byte.
    chunk_sizes: Vec<u8>,
    /// Event size limit (small, so the limit path is reached often).
    limit: u16,
    stream: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let limit = usize::from(input.limit).max(1);
    let mut whole = Parser::with_max_event_bytes(limit);
    let expected = whole.feed_to_vec(&input.stream);
    let expected_cut = whole.finish();

    let mut parser = Parser::with_max_event_bytes(limit);
    let mut got = Vec::new();
    let mut rest = &input.stream[..];
    let mut sizes = input.chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = match sizes.next() {
            Some(&0) => {
                // An empty chunk changes nothing (and must not clear a
                // pending CR); then move on by one byte.
                got.extend(parser.feed_to_vec(&[]));
                1
            }
            Some(&size) => usize::from(size).min(rest.len()),
            None => rest.len(),
        };
        got.extend(parser.feed_to_vec(&rest[..size]));
        assert!(parser.buffered_bytes() <= limit);
        rest = &rest[size..];
    }
    assert_eq!(parser.finish(), expected_cut);
    // The limit is measured on whole lines, so even where it strikes does
    // not depend on the chunking.
    assert_eq!(got, expected);
});
