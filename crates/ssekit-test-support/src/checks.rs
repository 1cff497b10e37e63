//! The properties that the proptests (`tests/roundtrip.rs`,
//! `tests/differential.rs`), the fuzz targets (`fuzz/fuzz_targets/`) and
//! the replay of fuzz regressions (`tests/fuzz_regressions.rs`) check, each
//! written once. A check panics when its property does not hold.
//!
//! The fuzz targets' inputs have ssekit's own byte layout rather than
//! `arbitrary`'s, so that the seed corpus can be written from the test
//! fixtures (`fuzz/src/bin/seed_corpus.rs`), and so that a crash file means
//! the same thing to the fuzz target and to the test that replays it. Any
//! bytes decode to some case; nothing here can fail to decode.

use std::borrow::Cow;

use ssekit::{
    EncodeError, EncodedEvent, Event, Field, Item, OwnedItem, ParseError, Parser,
    DEFAULT_MAX_EVENT_BYTES,
};

use crate::chunking::describe;
use crate::{observe_chunks, parse_chunks, reference};

/// Everything the fuzz target `parse_chunked` checks, for one input:
/// [`check_parse_chunked`] under the input's chunking and limit, and
/// [`check_matches_reference`] under its chunking.
pub fn fuzz_parse_chunked(bytes: &[u8]) {
    let case = ParseCase::decode(bytes);
    let chunks = case.chunks();
    check_parse_chunked(&chunks, case.max_event_bytes());
    check_matches_reference(&chunks);
}

/// Everything the fuzz target `encode_roundtrip` checks, for one input:
/// [`check_encode_roundtrip`].
pub fn fuzz_encode_roundtrip(bytes: &[u8]) {
    check_encode_roundtrip(&EncodeCase::decode(bytes));
}

/// ssekit's parser and dispatcher, fed `chunks` (with the default size
/// limit), give exactly what the [`reference`](mod@reference) parser gives
/// for the whole stream: the same items in the same order, the same
/// messages (type, data, last event ID), comments and `retry` values, and
/// the same last event ID and reconnection time at the end.
///
/// The reference has no size limit: the stream's events must fit ssekit's
/// default limit (16 MiB).
pub fn check_matches_reference(chunks: &[&[u8]]) {
    let (expected_items, expected) = reference::interpret(&chunks.concat());
    let items = parse_chunks(chunks, DEFAULT_MAX_EVENT_BYTES);
    assert_same("items", &items, &expected_items, chunks);
    let got = observe_chunks(chunks, DEFAULT_MAX_EVENT_BYTES);
    assert_same("seen records", &got.seen, &expected.seen, chunks);
    assert!(
        got.last_event_id == expected.last_event_id
            && got.reconnection_time == expected.reconnection_time,
        "the end differs from the reference's:\n  \
         ssekit:    last event ID {:?}, reconnection time {:?}\n  \
         reference: last event ID {:?}, reconnection time {:?}\nfor {}",
        got.last_event_id,
        got.reconnection_time,
        expected.last_event_id,
        expected.reconnection_time,
        describe(chunks)
    );
}

/// Asserts `got == expected`, naming the first difference rather than
/// printing both lists whole (a fixture has thousands of items).
fn assert_same<T: std::fmt::Debug + PartialEq>(
    what: &str,
    got: &[T],
    expected: &[T],
    chunks: &[&[u8]],
) {
    if got == expected {
        return;
    }
    let at = got
        .iter()
        .zip(expected)
        .position(|(got, expected)| got != expected)
        .unwrap_or(got.len().min(expected.len()));
    panic!(
        "{what} differ from the reference's at index {at} (ssekit has {}, the reference {}):\n  \
         ssekit:    {:?}\n  reference: {:?}\nfor {}",
        got.len(),
        expected.len(),
        got.get(at),
        expected.get(at),
        describe(chunks)
    );
}

/// Feeds `chunk`, collecting owned items.
fn feed_all(parser: &mut Parser, chunk: &[u8]) -> Vec<Result<OwnedItem, ParseError>> {
    let mut items = Vec::new();
    parser.feed(chunk, |item| items.push(item.map(Item::into_owned)));
    items
}

/// The parser, limited to `max_event_bytes` per event, under any bytes and
/// any chunking: it never panics, never buffers past its limit, and gives
/// the same items (errors included) and the same end (cut or not) as for
/// the whole stream at once. The limit is measured on whole lines, so even
/// where it strikes does not depend on the chunking.
pub fn check_parse_chunked(chunks: &[&[u8]], max_event_bytes: usize) {
    let stream = chunks.concat();
    let mut whole = Parser::with_max_event_bytes(max_event_bytes);
    let expected = feed_all(&mut whole, &stream);
    let expected_cut = whole.finish();

    let mut parser = Parser::with_max_event_bytes(max_event_bytes);
    let mut got = Vec::new();
    for chunk in chunks {
        got.extend(feed_all(&mut parser, chunk));
        assert!(
            parser.buffered_bytes() <= max_event_bytes,
            "buffered {} bytes, past the limit of {max_event_bytes}, for {}",
            parser.buffered_bytes(),
            describe(chunks)
        );
    }
    assert_eq!(
        parser.finish(),
        expected_cut,
        "finish() differs from the whole stream's for {} (limit {max_event_bytes})",
        describe(chunks)
    );
    assert_eq!(
        got,
        expected,
        "items differ from the whole stream's for {} (limit {max_event_bytes})",
        describe(chunks)
    );
}

/// Input of `parse_chunked`:
/// `[limit: u16 BE][n: u8][n chunk sizes: u8 each][stream…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCase<'a> {
    /// Event size limit (small, so the limit path is reached often); 0 is 1.
    pub limit: u16,
    /// Chunk sizes, cycled; 0 means an empty chunk, then one byte.
    pub chunk_sizes: Cow<'a, [u8]>,
    /// The stream.
    pub stream: Cow<'a, [u8]>,
}

impl<'a> ParseCase<'a> {
    /// The case `bytes` stand for.
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

    /// The event size limit in bytes.
    pub fn max_event_bytes(&self) -> usize {
        usize::from(self.limit).max(1)
    }

    /// The stream cut in the chunk sizes, cycled (no sizes: whole). A size
    /// of 0 is an empty chunk (which changes nothing, and must not clear a
    /// pending CR), then a chunk of one byte.
    pub fn chunks(&self) -> Vec<&[u8]> {
        let mut chunks = Vec::new();
        let mut rest = &self.stream[..];
        let mut sizes = self.chunk_sizes.iter().cycle();
        while !rest.is_empty() {
            let size = match sizes.next() {
                Some(&0) => {
                    chunks.push(&rest[..0]);
                    1
                }
                Some(&size) => usize::from(size).min(rest.len()),
                None => rest.len(),
            };
            chunks.push(&rest[..size]);
            rest = &rest[size..];
        }
        chunks
    }
}

/// Input of `encode_roundtrip`: `[flags][chunk][retry: u64 BE if flagged]`
/// then the present string fields (comment, event, id, data, in that order)
/// separated by 0xFF, a byte no UTF-8 string contains. Strings decode lossily.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct EncodeCase {
    /// The comment, if any.
    pub comment: Option<String>,
    /// The `event` field, if any.
    pub event: Option<String>,
    /// The `id` field, if any.
    pub id: Option<String>,
    /// The data, if any.
    pub data: Option<String>,
    /// The `retry` field, if any.
    pub retry: Option<u64>,
    /// Chunk size the wire is parsed back in (0 is 1).
    pub chunk: u8,
}

const RETRY_FLAG: u8 = 1 << 4;

impl EncodeCase {
    /// The case `bytes` stand for.
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

    /// The bytes that decode to this case.
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

/// Any strings either encode and parse back, in chunks of the case's size,
/// to the same event, or are refused for a reason that is really in them:
/// a CR or LF in a single-line field (comment, event, id), or a NUL in the
/// event type or id, at the position and in the field the error names;
/// a refused event writes nothing. No string can inject a field.
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
        Err(error @ (EncodeError::LineBreak { field, at } | EncodeError::Nul { field, at })) => {
            assert!(wire.is_empty(), "a refused event wrote bytes: {case:?}");
            let value = match field {
                Field::Comment => case.comment.as_deref(),
                Field::Event => case.event.as_deref(),
                Field::Id => case.id.as_deref(),
            }
            .expect("refused for a field that was not set");
            // A comment may hold NUL; the event type and the id may not.
            let forbidden: &[u8] = if field == Field::Comment {
                b"\r\n"
            } else {
                b"\r\n\0"
            };
            assert!(
                value
                    .as_bytes()
                    .get(at)
                    .is_some_and(|b| forbidden.contains(b)),
                "{error:?} names no forbidden character in {value:?}"
            );
        }
        // `EncodeError::Json`, with the `json` feature: no JSON here.
        #[allow(unreachable_patterns)]
        Err(other) => panic!("unexpected refusal {other:?} of {case:?}"),
        Ok(()) => {
            // Accepted: then every single-line field was clean...
            assert!(!case.comment.as_deref().is_some_and(breaks), "{case:?}");
            for value in [&case.event, &case.id].into_iter().flatten() {
                assert!(!breaks(value) && !value.contains('\0'), "{case:?}");
            }
            // ...and parsing it back, in any chunking, gives exactly it.
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
            // The encoder's text is taken back as it is, and only it.
            let text = core::str::from_utf8(&wire).expect("the encoder writes UTF-8");
            let taken = EncodedEvent::from_text(text).expect("encoded text is taken back");
            assert_eq!(taken.as_str(), text);
            assert_eq!(
                EncodedEvent::from_text(&format!("{text}{text}")),
                None,
                "{case:?}"
            );
            let mut parser = Parser::with_max_event_bytes(usize::MAX);
            let mut got = Vec::new();
            for piece in wire.chunks(usize::from(case.chunk).max(1)) {
                got.extend(feed_all(&mut parser, piece).into_iter().map(Result::unwrap));
            }
            assert!(!parser.finish(), "the wire ends mid-event: {case:?}");
            assert_eq!(got, expected, "{case:?}");
        }
    }
}
