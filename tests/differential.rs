//! Differential property test (native only: proptest): ssekit's streaming
//! parser and dispatcher, fed arbitrary bytes in an arbitrary chunking, give
//! exactly what the naive whole-stream reference parser
//! (`ssekit_test_support::reference`, written independently from the spec)
//! gives: the same items, the same messages (type, data, last event ID),
//! comments and `retry` values in the same order, and the same last event
//! ID and reconnection time at the end.
//!
//! The bytes lean towards SSE: field names right and wrong, separators,
//! CR, LF and CRLF, BOMs, NUL, invalid and cut UTF-8, long lines, and now
//! and then anything at all. Streams stay far below the parser's default
//! size limit, which the reference does not model.
#![cfg(not(target_arch = "wasm32"))]

use std::fmt;

use proptest::prelude::*;
use proptest::sample::{select, Index};
use ssekit_test_support::checks::check_matches_reference;
use ssekit_test_support::chunking::split_at_offsets;
use ssekit_test_support::pieces::{LINE_ENDINGS, NAMES, SEPARATORS, VALUES};

/// One piece of a stream. The simpler ones come first: proptest shrinks a
/// failing stream towards them.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let from = |pieces: &[&[u8]]| select(pieces.iter().map(|p| p.to_vec()).collect::<Vec<_>>());
    prop_oneof![
        6 => from(LINE_ENDINGS),
        6 => from(NAMES),
        4 => from(SEPARATORS),
        6 => from(VALUES),
        // A retry value one past u64::MAX.
        1 => Just(b"18446744073709551616".to_vec()),
        2 => prop::collection::vec(any::<u8>(), 1..8),
        1 => (1usize..4096).prop_map(|len| vec![b'x'; len]),
    ]
}

/// A stream of up to `pieces` pieces.
fn stream(pieces: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..pieces).prop_map(|pieces| pieces.concat())
}

/// A stream and where it is cut, shown as a byte string when proptest
/// reports a failing case.
struct Chunked {
    stream: Vec<u8>,
    cuts: Cuts,
}

enum Cuts {
    /// At these ascending offsets; one given twice makes an empty chunk.
    At(Vec<usize>),
    /// After every byte.
    EveryByte,
}

impl Chunked {
    fn chunks(&self) -> Vec<&[u8]> {
        match &self.cuts {
            Cuts::At(offsets) => split_at_offsets(&self.stream, offsets),
            Cuts::EveryByte => self.stream.chunks(1).collect(),
        }
    }
}

impl fmt::Debug for Chunked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" ", self.stream.escape_ascii())?;
        match &self.cuts {
            Cuts::At(offsets) => write!(f, "cut at {offsets:?}"),
            Cuts::EveryByte => write!(f, "cut after every byte"),
        }
    }
}

/// A stream of up to 64 pieces, about a third of them cut somewhere. Each
/// cut belongs to its piece, so that proptest can drop pieces from a failing
/// case and keep the cut that matters where it was.
fn cut_anywhere() -> impl Strategy<Value = Chunked> {
    let cut_piece = (piece(), prop::option::weighted(0.3, any::<Index>()));
    prop::collection::vec(cut_piece, 0..64).prop_map(|pieces| {
        let mut stream = Vec::new();
        let mut offsets = Vec::new();
        for (piece, cut) in pieces {
            if let Some(cut) = cut {
                offsets.push(stream.len() + cut.index(piece.len() + 1));
            }
            stream.extend(piece);
        }
        Chunked {
            stream,
            cuts: Cuts::At(offsets),
        }
    })
}

/// A stream of up to 32 pieces, cut after every byte.
fn cut_after_every_byte() -> impl Strategy<Value = Chunked> {
    stream(32).prop_map(|stream| Chunked {
        stream,
        cuts: Cuts::EveryByte,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_any_chunks_are_parsed_and_dispatched_as_the_reference_does(
        input in cut_anywhere(),
    ) {
        check_matches_reference(&input.chunks());
    }

    #[test]
    fn any_bytes_one_byte_at_a_time_are_parsed_and_dispatched_as_the_reference_does(
        input in cut_after_every_byte(),
    ) {
        check_matches_reference(&input.chunks());
    }
}
