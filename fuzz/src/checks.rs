//! What the fuzz targets check, and the byte layout of their inputs.
//!
//! The layout is ssekit's own rather than `arbitrary`'s so that the seed
//! corpus can be written from the test fixtures (`seed_corpus`), and so that
//! a crash file means the same thing to the fuzz target and to the
//! regression test that replays it (`tests/fuzz_regressions.rs` includes
//! this file). Any bytes decode to some case; nothing here can fail to parse.

use std::borrow::Cow;

use ssekit::{EncodeError, Event, Field, OwnedItem, Parser};

/// Input of `parse_chunked`:
/// `[limit: u16 BE][n: u8][n chunk sizes: u8 each][stream…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCase<'a> {
    /// Event size limit (small, so the limit path is reached often); 0 is 1.
    pub limit: u16,
    /// Chunk sizes, cycled; 0 means an empty chunk, then one byte.
    pub chunk_sizes: Cow<'a, [u8]>,
    pub stream: Cow<'a, [u8]>,
}

impl<'a> ParseCase<'a> {
    pub fn decode(bytes: &'a [u8]) -> Self {
        let (limit, rest) = match bytes {
            [hi, lo, rest @ ..] => (u16::from_be_bytes([*hi, *lo]), rest),
            _ => (u16::MAX, &[][..]),
        };
        let (sizes, stream) = match rest.split_first() {
            Some((&n, rest)) => rest.split_at(usize::from(n).min(rest.len())),
            None => (&[][..], rest),
        };
        ParseCase {
            limit,
            chunk_sizes: Cow::Borrowed(sizes),
            stream: Cow::Borrowed(stream),
        }
    }

    /// The bytes that decode to this case (at most 255 chunk sizes).
    pub fn encode(&self) -> Vec<u8> {
        let sizes = &self.chunk_sizes[..self.chunk_sizes.len().min(255)];
        let mut out = self.limit.to_be_bytes().to_vec();
        out.push(sizes.len() as u8);
        out.extend_from_slice(sizes);
        out.extend_from_slice(&self.stream);
        out
    }
}

/// The parser under any bytes, any chunking and any size limit: it must
/// never panic, never buffer past its limit, and must give the same items
/// (errors included) as the whole stream at once.
pub fn check_parse_chunked(case: &ParseCase) {
    let limit = usize::from(case.limit).max(1);
    let mut whole = Parser::with_max_event_bytes(limit);
    let expected = whole.feed_to_vec(&case.stream);
    let expected_cut = whole.finish();

    let mut parser = Parser::with_max_event_bytes(limit);
    let mut got = Vec::new();
    let mut rest = &case.stream[..];
    let mut sizes = case.chunk_sizes.iter().cycle();
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
        assert!(parser.buffered_bytes() <= limit, "buffered past the limit");
        rest = &rest[size..];
    }
    assert_eq!(parser.finish(), expected_cut);
    // The limit is measured on whole lines, so even where it strikes does
    // not depend on the chunking.
    assert_eq!(got, expected);
}

/// Input of `encode_roundtrip`: `[flags][chunk][retry: u64 BE if flagged]`
/// then the present string fields (comment, event, id, data, in that order)
/// separated by 0xFF, a byte no UTF-8 string contains. Strings decode lossily.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct EncodeCase {
    pub comment: Option<String>,
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: Option<String>,
    pub retry: Option<u64>,
    /// Chunk size the wire is parsed back in (0 is 1).
    pub chunk: u8,
}

const RETRY_FLAG: u8 = 1 << 4;

impl EncodeCase {
    pub fn decode(bytes: &[u8]) -> Self {
        let (flags, chunk, mut rest) = match bytes {
            [flags, chunk, rest @ ..] => (*flags, *chunk, rest),
            [flags] => (*flags, 0, &[][..]),
            [] => (0, 0, &[][..]),
        };
        let mut case = EncodeCase {
            chunk,
            ..EncodeCase::default()
        };
        if flags & RETRY_FLAG != 0 {
            let mut retry = [0; 8];
            let n = rest.len().min(8);
            retry[..n].copy_from_slice(&rest[..n]);
            case.retry = Some(u64::from_be_bytes(retry));
            rest = &rest[n..];
        }
        let mut segments = rest.split(|&b| b == 0xFF);
        let mut next = |bit: u8| {
            (flags & (1 << bit) != 0)
                .then(|| String::from_utf8_lossy(segments.next().unwrap_or_default()).into_owned())
        };
        case.comment = next(0);
        case.event = next(1);
        case.id = next(2);
        case.data = next(3);
        case
    }

    pub fn encode(&self) -> Vec<u8> {
        let fields = [&self.comment, &self.event, &self.id, &self.data];
        let mut flags = 0;
        for (bit, field) in fields.iter().enumerate() {
            if field.is_some() {
                flags |= 1 << bit;
            }
        }
        if self.retry.is_some() {
            flags |= RETRY_FLAG;
        }
        let mut out = vec![flags, self.chunk];
        if let Some(retry) = self.retry {
            out.extend_from_slice(&retry.to_be_bytes());
        }
        let present: Vec<&[u8]> = fields
            .iter()
            .filter_map(|f| f.as_deref().map(str::as_bytes))
            .collect();
        out.extend_from_slice(&present.join(&0xFF));
        out
    }
}

/// Any strings either encode and parse back to the same event, or are
/// refused for a reason that is really in them. No string can inject a field.
pub fn check_encode_roundtrip(case: &EncodeCase) {
    let mut event = Event::new();
    if let Some(c) = &case.comment {
        event = event.comment(c.as_str());
    }
    if let Some(e) = &case.event {
        event = event.event(e.as_str());
    }
    if let Some(i) = &case.id {
        event = event.id(i.as_str());
    }
    if let Some(d) = &case.data {
        event = event.data(d.as_str());
    }
    if let Some(r) = case.retry {
        event = event.retry(r);
    }
    let breaks = |s: &str| s.contains(['\r', '\n']);
    let mut wire = Vec::new();
    match event.encode_into(&mut wire) {
        Err(EncodeError::LineBreak { field, at }) | Err(EncodeError::Nul { field, at }) => {
            assert!(wire.is_empty(), "a refused event wrote bytes");
            let value = match field {
                Field::Comment => case.comment.as_deref(),
                Field::Event => case.event.as_deref(),
                Field::Id => case.id.as_deref(),
            }
            .expect("refused for a field that was not set");
            assert!(matches!(value.as_bytes()[at], b'\r' | b'\n' | 0));
        }
        Err(other) => panic!("unexpected refusal: {other:?}"),
        Ok(()) => {
            assert!(!case.comment.as_deref().is_some_and(breaks));
            let mut expected = Vec::new();
            if let Some(c) = &case.comment {
                expected.push(OwnedItem::Comment(c.clone()));
            }
            if let Some(r) = case.retry {
                expected.push(OwnedItem::Retry(r));
            }
            match (&case.data, &case.id) {
                (Some(d), _) => expected.push(OwnedItem::Block {
                    event_type: case.event.clone().unwrap_or_default(),
                    data: d.replace("\r\n", "\n").replace('\r', "\n"),
                    id: case.id.clone(),
                }),
                (None, Some(i)) => expected.push(OwnedItem::Id(i.clone())),
                (None, None) => {}
            }
            let mut parser = Parser::with_max_event_bytes(usize::MAX);
            let mut got = Vec::new();
            for piece in wire.chunks(usize::from(case.chunk).max(1)) {
                got.extend(parser.feed_to_vec(piece).into_iter().map(Result::unwrap));
            }
            assert!(!parser.finish(), "the wire ends mid-event");
            assert_eq!(got, expected);
        }
    }
}
