//! Helpers shared by the test files (native and wasm32 in the browser).
#![allow(dead_code)]

pub mod fixtures;
pub mod reference;

use ssekit::{Dispatcher, Item, OwnedItem, ParseError, Parser};

/// What an `EventSource` user would observe, plus the comments and errors
/// the raw parser reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Message {
        event_type: String,
        data: String,
        last_event_id: String,
    },
    Retry(u64),
    Comment(String),
    TooLarge,
}

pub fn msg(event_type: &str, data: &str, last_event_id: &str) -> Seen {
    Seen::Message {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: last_event_id.into(),
    }
}

pub fn comment(text: &str) -> Seen {
    Seen::Comment(text.into())
}

/// A small deterministic PRNG (xorshift64*): the same splits on every run and
/// every target, no dependency that would need wasm-specific entropy.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Cuts `bytes` at the given ascending offsets.
pub fn split_at_offsets<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        chunks.push(&bytes[start..cut]);
        start = cut;
    }
    chunks.push(&bytes[start..]);
    chunks
}

/// Every way the tests cut a stream: fixed sizes 1, 2, 3, … up to
/// `max_fixed`, the whole stream, and `random` random splits (which include
/// empty chunks).
pub fn chunkings(bytes: &[u8], max_fixed: usize, random: usize, seed: u64) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![bytes]];
    for size in 1..=max_fixed.min(bytes.len().max(1)) {
        all.push(bytes.chunks(size).collect());
    }
    let mut rng = Rng::new(seed);
    for _ in 0..random {
        let mut cuts: Vec<usize> = (0..rng.below(bytes.len() + 1) + 1)
            .map(|_| rng.below(bytes.len() + 1))
            .collect();
        cuts.sort_unstable();
        all.push(split_at_offsets(bytes, &cuts));
    }
    all
}

/// Raw parser output for a stream fed in `chunks`, then ended.
pub fn parse_chunks(parser: &mut Parser, chunks: &[&[u8]]) -> Vec<Result<OwnedItem, ParseError>> {
    let mut items = Vec::new();
    for chunk in chunks {
        items.extend(parser.feed_to_vec(chunk));
    }
    parser.finish();
    items
}

/// What a browser would observe from raw items.
pub fn observe(items: &[Result<OwnedItem, ParseError>], dispatcher: &mut Dispatcher) -> Vec<Seen> {
    let mut seen = Vec::new();
    for item in items {
        match item {
            Err(ParseError::EventTooLarge { .. }) => seen.push(Seen::TooLarge),
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(item) => match item.as_item() {
                Item::Retry(ms) => {
                    dispatcher.dispatch(Item::Retry(ms));
                    seen.push(Seen::Retry(ms));
                }
                Item::Comment(text) => seen.push(comment(text)),
                other => {
                    if let Some(m) = dispatcher.dispatch(other) {
                        seen.push(msg(m.event_type, m.data, m.last_event_id));
                    }
                }
            },
        }
    }
    seen
}

/// Asserts that `input`, cut every way [`chunkings`] knows, is observed as
/// `expected`.
pub fn assert_observed(input: &[u8], expected: &[Seen]) {
    assert_observed_with(input, expected, Parser::new);
}

pub fn assert_observed_with(input: &[u8], expected: &[Seen], parser: impl Fn() -> Parser) {
    for chunks in chunkings(input, 16, 24, input.len() as u64) {
        let items = parse_chunks(&mut parser(), &chunks);
        let seen = observe(&items, &mut Dispatcher::new());
        assert_eq!(
            seen,
            expected,
            "input {:?} in chunks of sizes {:?}",
            String::from_utf8_lossy(input),
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        );
    }
}
