//! The streaming parser: bytes in, in chunks of any size, [`Item`]s out.
//!
//! It follows the "Interpreting an event stream" algorithm of the HTML
//! Standard (9.2.6) line by line; each step below names the sentence it
//! implements and its rule's ID in the project's checklist, docs/spec.md.
//! Browser-level state that outlives one block of fields (the persisted
//! last event ID, the default event type) lives in
//! [`Dispatcher`](crate::Dispatcher), not here.
//!
//! # Cost
//!
//! Every byte is scanned once: a chunk is searched for line endings with
//! `memchr`, a line that is still open at the end of a chunk is appended to an
//! internal buffer and never searched again, and a complete line found inside
//! one chunk is parsed straight from that chunk without copying it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

mod item;
mod utf8;

pub use item::{Block, Item, OwnedItem};

/// The default for [`Parser::with_max_event_bytes`]: 16 MiB.
///
/// Large enough for any event a browser application plausibly receives
/// (including big JSON snapshots), small enough that a hostile or broken
/// stream cannot exhaust a browser tab's or a Worker's memory.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Buffers keep at most this much capacity between events: enough for
/// ordinary events to reuse their allocations, while the memory a big one
/// needed is given back when it ends.
const RETAINED_CAPACITY: usize = 64 * 1024;

/// UTF-8's byte order mark; one at the very start of a stream is removed (P1).
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// An error found in the stream. The parser reports it in stream order, among
/// the items, and carries on: nothing before or after the fault is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// One event needed more than `limit` bytes of buffering (its pending line
    /// plus its `data`, `event` and `id` buffers). The parser drops that event
    /// and skips every line up to and including the next blank line, then
    /// parses normally again. The `id` and `event` of the dropped event are
    /// dropped with it; `retry` fields and comments after the point of
    /// overflow are skipped (ones before it were already reported).
    EventTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::EventTooLarge { limit } => write!(
                f,
                "SSE event exceeds the limit of {limit} buffered bytes; \
                 it was discarded up to the next blank line"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseError {}

/// The callback every internal step reports to: one type, not one per
/// caller's closure, so the parser's code exists once in a binary however
/// many places feed it (the wasm package has two).
type On<'a> = dyn FnMut(Result<Item<'_>, ParseError>) + 'a;

/// Where the parser stands with respect to the optional leading BOM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// At the start of the stream; this many bytes of [`BOM`] seen so far.
    MatchingBom(u8),
    /// Past the start: every byte is stream content.
    Body,
}

/// A streaming Server-Sent Events parser.
///
/// Feed it the bytes of one response body in chunks of any size with
/// [`feed`](Parser::feed); it calls you back with every [`Item`] as soon as
/// the line that completes it has arrived. Call [`finish`](Parser::finish) at
/// the end of the body (or before reading a new one, on reconnect).
///
/// ```
/// use ssekit::{Item, Parser};
///
/// let mut parser = Parser::new();
/// let mut data = Vec::new();
/// // A chunk boundary may fall anywhere, even between CR and LF.
/// for chunk in [&b"data: hel"[..], b"lo\r", b"\n\r\n: ping\n"] {
///     parser.feed(chunk, |item| match item {
///         Ok(Item::Block(event)) => data.push(event.data.to_owned()),
///         Ok(Item::Comment(text)) => data.push(format!("comment {text}")),
///         Ok(_) => {}
///         Err(error) => panic!("{error}"),
///     });
/// }
/// assert_eq!(data, ["hello", "comment ping"]);
/// ```
#[derive(Clone, Debug)]
pub struct Parser {
    /// The start of a line that began in an earlier chunk and has not ended.
    line: Vec<u8>,
    /// The spec's data buffer: each `data` value followed by LF.
    data: String,
    /// The spec's event type buffer.
    event_type: String,
    /// The value of the last valid `id` field of the current block...
    id: String,
    /// ...and whether there was one (an empty `id` is meaningful: it resets).
    id_seen: bool,
    start: Start,
    /// The previous chunk ended with CR: an LF opening the next one is the
    /// second half of that CRLF, not a line ending of its own (P2).
    skip_lf: bool,
    /// The current block went over the limit; lines are skipped until a
    /// blank one.
    discarding: bool,
    /// While discarding: the current line already has bytes (so its end is
    /// not a blank line).
    discarded_line_open: bool,
    max_event_bytes: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the [default event size limit](DEFAULT_MAX_EVENT_BYTES).
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser that lets one event buffer at most `limit` bytes: its
    /// pending line plus its `data`, `event` and `id` buffers. Lines are
    /// measured whole, so whether the limit strikes never depends on how the
    /// stream was chunked. Going over it is reported as
    /// [`ParseError::EventTooLarge`] and that event is dropped.
    pub fn with_max_event_bytes(limit: usize) -> Self {
        Parser {
            line: Vec::new(),
            data: String::new(),
            event_type: String::new(),
            id: String::new(),
            id_seen: false,
            start: Start::MatchingBom(0),
            skip_lf: false,
            discarding: false,
            discarded_line_open: false,
            max_event_bytes: limit,
        }
    }

    /// The configured limit on bytes buffered for one event.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// Bytes currently held for the event being read.
    pub fn buffered_bytes(&self) -> usize {
        self.line.len() + self.data.len() + self.event_type.len() + self.id.len()
    }

    /// Parses the next `chunk` of the stream, calling `on` with every item it
    /// completes, in stream order. Bytes that do not yet complete a line are
    /// kept for the next call.
    ///
    /// An event whose blank line is in `chunk` is delivered before this call
    /// returns, even when the chunk ends between the CR and LF of a CRLF.
    pub fn feed<F>(&mut self, chunk: &[u8], mut on: F)
    where
        F: FnMut(Result<Item<'_>, ParseError>),
    {
        self.feed_dyn(chunk, &mut on);
    }

    fn feed_dyn(&mut self, chunk: &[u8], on: &mut On<'_>) {
        let mut rest = chunk;
        if let Start::MatchingBom(matched) = self.start {
            // P1: exactly one leading BOM is removed; it may arrive split.
            let mut matched = usize::from(matched);
            let mut taken = 0;
            while matched < BOM.len() && taken < rest.len() && rest[taken] == BOM[matched] {
                matched += 1;
                taken += 1;
            }
            if matched == BOM.len() {
                self.start = Start::Body;
                rest = &rest[taken..];
            } else if taken == rest.len() {
                // Still a prefix of a BOM: wait for the next byte to decide.
                self.start = Start::MatchingBom(matched as u8);
                return;
            } else {
                // Not a BOM after all: what looked like one is content.
                self.start = Start::Body;
                self.feed_body(&BOM[..matched], on);
                rest = &rest[taken..];
            }
        }
        self.feed_body(rest, on);
    }

    /// Ends the stream (P12): an unterminated block and an unterminated
    /// line are discarded, the `id` they carried is not committed. The parser
    /// is then ready for a new stream, BOM included, as on a reconnect.
    ///
    /// Returns `true` if anything was discarded, i.e. the stream was cut in
    /// the middle of an event.
    pub fn finish(&mut self) -> bool {
        let cut = !self.line.is_empty()
            || !self.data.is_empty()
            || !self.event_type.is_empty()
            || self.id_seen
            || self.discarding
            || matches!(self.start, Start::MatchingBom(n) if n > 0);
        self.line.clear();
        self.clear_block();
        self.start = Start::MatchingBom(0);
        self.skip_lf = false;
        self.discarding = false;
        self.discarded_line_open = false;
        cut
    }

    fn feed_body(&mut self, mut rest: &[u8], on: &mut On<'_>) {
        if rest.is_empty() {
            return;
        }
        if self.skip_lf {
            self.skip_lf = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        // P2: a line ends at CRLF, a lone LF or a lone CR.
        loop {
            // Blank lines (every event ends with one) need no search.
            let end = match rest.first() {
                Some(b'\n' | b'\r') => 0,
                Some(_) => match memchr::memchr2(b'\n', b'\r', rest) {
                    Some(end) => end,
                    None => break,
                },
                None => break,
            };
            self.end_line(&rest[..end], on);
            let was_cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if was_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
        }
        self.keep_open_line(rest, on);
    }

    /// Keeps the start of a line that continues in the next chunk.
    fn keep_open_line(&mut self, bytes: &[u8], on: &mut On<'_>) {
        if bytes.is_empty() {
            return;
        }
        if self.discarding {
            self.discarded_line_open = true;
        } else if self.buffered_bytes() + bytes.len() > self.max_event_bytes {
            self.start_discarding(on);
            self.discarded_line_open = true;
        } else {
            let max_len = self.allowance(self.line.len());
            utf8::grow_within(&mut self.line, bytes.len(), max_len);
            self.line.extend_from_slice(bytes);
        }
    }

    /// A line ending was found; `tail` is the part of the line in this chunk.
    fn end_line(&mut self, tail: &[u8], on: &mut On<'_>) {
        if self.discarding {
            let blank = tail.is_empty() && !self.discarded_line_open;
            self.discarded_line_open = false;
            if blank {
                self.discarding = false;
            }
        } else if self.buffered_bytes() + tail.len() > self.max_event_bytes {
            // The whole line counts, whether it arrived in one chunk or in
            // many: where the limit strikes never depends on the chunking.
            self.start_discarding(on);
        } else if self.line.is_empty() {
            self.interpret_line(tail, on);
        } else {
            // Take the buffer out so the line can borrow it while the
            // field buffers change; hand it back to keep its allocation.
            let max_len = self.allowance(self.line.len());
            let mut line = core::mem::take(&mut self.line);
            utf8::grow_within(&mut line, tail.len(), max_len);
            line.extend_from_slice(tail);
            self.interpret_line(&line, on);
            line.clear();
            line.shrink_to(RETAINED_CAPACITY);
            self.line = line;
        }
    }

    /// Processes one complete line (without its line ending).
    fn interpret_line(&mut self, line: &[u8], on: &mut On<'_>) {
        // P3: "If the line is empty (a blank line), dispatch the event."
        if line.is_empty() {
            self.dispatch(on);
            return;
        }
        // Most lines are data lines: recognise them without a search.
        if let Some(value) = line.strip_prefix(b"data:") {
            self.append_data(strip_one_space(value), on);
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            // P4: "If the line starts with a colon character, ignore the
            // line." Browsers do; we report it, since servers use comments as
            // heartbeats. One leading space is removed, as from a value.
            Some(0) => {
                let max_len = self.allowance(0);
                match utf8::decode_within(strip_one_space(&line[1..]), max_len) {
                    Some(text) => on(Ok(Item::Comment(&text))),
                    None => self.start_discarding(on),
                }
                return;
            }
            // P5: name before the first colon; value after it, minus one
            // leading U+0020 SPACE.
            Some(colon) => (&line[..colon], strip_one_space(&line[colon + 1..])),
            // P6: "the whole line as the field name, and the empty string
            // as the field value."
            None => (line, &[][..]),
        };
        // P7: names are compared exactly; anything else is ignored.
        match name {
            b"data" => self.append_data(value, on),
            b"event" => {
                // P8: set the event type buffer.
                self.event_type.clear();
                let max_len = self.allowance(0);
                if !utf8::push_lossy_within(&mut self.event_type, value, max_len) {
                    self.start_discarding(on);
                }
            }
            b"id" => {
                // P10: "If the field value does not contain U+0000 NULL,
                // then set the last event ID buffer to the field value.
                // Otherwise, ignore the field."
                if memchr::memchr(0, value).is_some() {
                    return;
                }
                self.id.clear();
                self.id_seen = true;
                let max_len = self.allowance(0);
                if !utf8::push_lossy_within(&mut self.id, value, max_len) {
                    self.start_discarding(on);
                }
            }
            b"retry" => {
                // P11: only ASCII digits, at least one; takes effect now.
                if let Some(ms) = parse_retry(value) {
                    on(Ok(Item::Retry(ms)));
                }
            }
            _ => {}
        }
    }

    /// P9: "Append the field value to the data buffer, then append a single
    /// U+000A LINE FEED (LF) character to the data buffer."
    fn append_data(&mut self, value: &[u8], on: &mut On<'_>) {
        let max_len = self.allowance(self.data.len());
        if !(utf8::push_lossy_within(&mut self.data, value, max_len)
            && utf8::push_within(&mut self.data, "\n", max_len))
        {
            self.start_discarding(on);
        }
    }

    /// The spec's "dispatch the event", minus what belongs to the
    /// [`Dispatcher`](crate::Dispatcher).
    fn dispatch(&mut self, on: &mut On<'_>) {
        // D2: "If the data buffer is an empty string, set the data buffer
        // and the event type buffer to the empty string and return." The id
        // still counts (D1), so it is reported on its own.
        if self.data.is_empty() {
            if self.id_seen {
                on(Ok(Item::Id(&self.id)));
            }
        } else {
            // D3: "If the data buffer's last character is a U+000A LINE FEED
            // (LF) character, then remove the last character."
            let data = self.data.strip_suffix('\n').unwrap_or(&self.data);
            on(Ok(Item::Block(Block {
                event_type: &self.event_type,
                data,
                id: self.id_seen.then_some(self.id.as_str()),
            })));
        }
        // D5: clear the data and event type buffers.
        self.clear_block();
    }

    /// How long the buffer now holding `own_len` bytes may grow before the
    /// event is over the limit. The raw line was within the limit (checked
    /// in `end_line`), but decoding can grow it: each invalid byte becomes a
    /// 3-byte U+FFFD. So decoded bytes are checked as they are appended.
    fn allowance(&self, own_len: usize) -> usize {
        self.max_event_bytes
            .saturating_sub(self.buffered_bytes() - own_len)
    }

    fn start_discarding(&mut self, on: &mut On<'_>) {
        self.line.clear();
        self.clear_block();
        self.discarding = true;
        self.discarded_line_open = false;
        on(Err(ParseError::EventTooLarge {
            limit: self.max_event_bytes,
        }));
        // Do not hold on to the memory the oversized event made us grow
        // (clear_block gave back the field buffers').
        self.line.shrink_to(RETAINED_CAPACITY);
    }

    fn clear_block(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.id.clear();
        self.id_seen = false;
        // One big event must not pin its memory for the rest of the stream.
        self.data.shrink_to(RETAINED_CAPACITY);
        self.event_type.shrink_to(RETAINED_CAPACITY);
        self.id.shrink_to(RETAINED_CAPACITY);
    }
}

/// Removes exactly one leading U+0020 SPACE (P5: a tab is kept).
fn strip_one_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// P11: "If the field value consists of only ASCII digits, then interpret the
/// field value as an integer in base ten". Absurdly large values saturate
/// rather than wrap; the caller decides what delay it will really wait.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0u64, |ms, digit| {
        ms.saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_accepts_only_ascii_digits() {
        assert_eq!(parse_retry(b"0"), Some(0));
        assert_eq!(parse_retry(b"1000"), Some(1000));
        assert_eq!(parse_retry(b"99999999999999999999999999"), Some(u64::MAX));
        for bad in [&b""[..], b"1000x", b"+5", b" 5", b"-1", b"1.5", b"\xd9\xa1"] {
            assert_eq!(parse_retry(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn strips_exactly_one_space() {
        assert_eq!(strip_one_space(b"  x"), b" x");
        assert_eq!(strip_one_space(b"\tx"), b"\tx");
        assert_eq!(strip_one_space(b""), b"");
    }
}
