//! The parser under arbitrary bytes, arbitrary chunking and an arbitrary
//! size limit: it must never panic, never buffer past its limit, and — when
//! the limit is not hit — give the same items as the whole stream at once.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ssekit::Parser;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Chunk sizes, cycled; 0 means an empty chunk.
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
            Some(&size) => usize::from(size).min(rest.len()),
            None => rest.len(),
        };
        got.extend(parser.feed_to_vec(&rest[..size]));
        assert!(parser.buffered_bytes() <= limit);
        rest = &rest[size..];
    }
    assert_eq!(parser.finish(), expected_cut);
    // Where the limit cuts depends on where chunks end (a line is measured
    // as it arrives), so only limit-free runs must match exactly.
    if expected.iter().all(Result::is_ok) && got.iter().all(Result::is_ok) {
        assert_eq!(got, expected);
    }
});
