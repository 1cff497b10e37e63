//! The scanner under the package's `SseParser` and `EventSource`: bytes in,
//! field boundaries out.
//!
//! JavaScript decodes each chunk of a body once, with one streaming
//! `TextDecoder`; the scanner reads the same bytes and writes [`record`]s
//! whose positions are UTF-16 code-unit offsets into that text, so every
//! string the shell hands out is a `slice` of it and no string crosses the
//! boundary. The [`record`] module defines the format and its coordinates.
//!
//! The semantics are those of `ssekit::Parser` followed by
//! `ssekit::Dispatcher`, the spec's "interpreting an event stream" (P1–P12,
//! D1–D5), the event size limit included: it counts decoded bytes (an invalid
//! byte is a three-byte U+FFFD) and measures lines whole, so whether it
//! strikes never depends on the chunking. The tests replay the records as the
//! shell does and compare the events with the core's on every split of
//! tricky streams and on random ones.
//!
//! The scanner holds a handful of scalars, never bytes: a line that spans
//! chunks is counted, and the shell keeps its text. It uses `core` only and
//! never allocates, so the WebAssembly build can keep it in a static.
//!
//! ```
//! use ssekit_wasm::scan::{capacity_for, record, Scanner};
//!
//! let mut scanner = Scanner::new(1024, 0);
//! let input = "data: h\u{e9}llo\n\n".as_bytes();
//! let mut out = vec![0; capacity_for(input.len())];
//! let fed = scanner.feed(input, &mut out).unwrap();
//! // One whole event of one data line: "héllo" is units 6..11 of the text.
//! assert_eq!(&out[..fed.words], &[record::MESSAGE, 6, 11]);
//! assert_eq!(fed.carry_from, record::NONE);
//! ```
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

pub mod record;
mod utf8;

#[cfg(test)]
mod tests;

use core::fmt;

use record::{
    COMMENT, DATA, DISPATCH, EVENT, HAS_DATA, HAS_ID, ID, MESSAGE, NONE, RETRY, TOO_LARGE,
    WANT_COMMENTS, WANT_RETRY,
};
use utf8::{Count, Decoder};

/// UTF-8's byte order mark; one at the very start of a body is removed (P1).
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// `Scanner::bom` once the start of the body is behind.
const BODY: u8 = 3;
/// Bytes of a line that decide what it is: `retry: `, the longest name, its
/// colon and the space that is not part of the value.
const HEAD: usize = 7;

/// The most record words one [`Scanner::feed`] of `input_len` bytes can
/// write: size the output buffer with it.
///
/// The densest output is a line that was open before the call and ends with
/// its first byte (three words), a blank line right after it (two), then
/// one-byte comments, `":\n"` (three words per two bytes):
/// `n + n / 2 + 2` covers it, and some input of every length from 1 up
/// reaches it.
pub const fn capacity_for(input_len: usize) -> usize {
    input_len.saturating_add(input_len / 2).saturating_add(2)
}

/// What one [`Scanner::feed`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fed {
    /// Record words written at the start of the output buffer.
    pub words: usize,
    /// Where the line still open starts in `T` (see [`record`]): the shell
    /// keeps `T.slice(carry_from)` as the next carry; or [`record::NONE`]
    /// when it keeps nothing.
    pub carry_from: u32,
}

/// The output buffer was shorter than [`capacity_for`] the input; nothing
/// was scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutTooSmall {
    /// The words the buffer needs.
    pub needed: usize,
}

impl fmt::Display for OutTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the record buffer needs {} words for this input",
            self.needed
        )
    }
}

/// A field, as the first bytes of its line name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    Comment,
    /// Any other name (P7: ignored).
    Other,
}

/// What a line is (its field), and where its value starts (in bytes, which
/// are units too: only ASCII comes before a value that matters).
type Kind = (Field, usize);

/// The field a line names and where its value starts, from `head`, the
/// line's first bytes (up to [`HEAD`]), or `None` while more bytes may
/// change the answer. `complete`: the line has ended, and `head` shorter
/// than [`HEAD`] is the whole line. `head` is not empty.
fn classify(head: &[u8], complete: bool) -> Option<Kind> {
    // P4: "If the line starts with a colon character", a comment.
    let (field, colon) = if head.first() == Some(&b':') {
        (Field::Comment, 0)
    } else {
        // P5: the name is what comes before the first colon; a name that
        // matters has five bytes at most, so its colon is among the first six.
        match head.iter().take(6).position(|&b| b == b':') {
            Some(colon) => (named(head.get(..colon).unwrap_or_default()), colon),
            None if head.len() >= 6 => return Some((Field::Other, 0)),
            // P6: no colon: the whole line is the name, the value is empty.
            None if complete => return Some((named(head), head.len())),
            None => {
                let known = [&b"data"[..], b"event", b"id", b"retry"]
                    .iter()
                    .any(|name| name.starts_with(head));
                return if known { None } else { Some((Field::Other, 0)) };
            }
        }
    };
    if field == Field::Other {
        return Some((Field::Other, 0));
    }
    // P5: "If value starts with a U+0020 SPACE character, remove it".
    let value = colon.saturating_add(1);
    match head.get(value) {
        Some(b' ') => Some((field, value.saturating_add(1))),
        Some(_) => Some((field, value)),
        None if complete => Some((field, value)),
        None => None,
    }
}

/// P7: the field called `name`.
fn named(name: &[u8]) -> Field {
    match name {
        b"data" => Field::Data,
        b"event" => Field::Event,
        b"id" => Field::Id,
        b"retry" => Field::Retry,
        _ => Field::Other,
    }
}

/// P11: "If the field value consists of only ASCII digits", read as they
/// arrive. Saturating, as the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Digits {
    /// No byte yet.
    Empty,
    /// Digits only, this many milliseconds.
    Ms(u64),
    /// Something else.
    Invalid,
}

impl Digits {
    fn push(self, bytes: &[u8]) -> Digits {
        let mut ms = match self {
            Digits::Invalid => return Digits::Invalid,
            _ if bytes.is_empty() => return self,
            Digits::Empty => 0,
            Digits::Ms(ms) => ms,
        };
        for &b in bytes {
            if !b.is_ascii_digit() {
                return Digits::Invalid;
            }
            ms = ms.saturating_mul(10).saturating_add(u64::from(b & 0x0F));
        }
        Digits::Ms(ms)
    }

    fn ms(self) -> Option<u64> {
        match self {
            Digits::Ms(ms) => Some(ms),
            _ => None,
        }
    }
}

/// The open line: bytes with no line end after them yet, at the end of the
/// input so far. Counted, not kept (the shell keeps its text).
#[derive(Clone, Copy, Debug)]
struct Line {
    /// Its bytes so far; 0 when no line is open.
    raw: usize,
    /// Its first bytes.
    head: [u8; HEAD],
    /// What it is, once its first bytes decide it.
    kind: Option<Kind>,
    /// What the decoder has emitted of it so far, and what it holds back.
    text: Count,
    decoder: Decoder,
    /// The shell keeps its text: it may still be needed. Once false, false
    /// until the line ends (the shell dropped the text).
    kept: bool,
    /// Where it starts in this call's `T`, while kept.
    start: u32,
    /// An `id` whose value holds U+0000 (P10: the line is ignored).
    nul: bool,
    /// A `retry` value's digits.
    digits: Digits,
}

impl Line {
    const NONE: Line = Line {
        raw: 0,
        head: [0; HEAD],
        kind: None,
        text: Count::ZERO,
        decoder: Decoder::IDLE,
        kept: false,
        start: 0,
        nul: false,
        digits: Digits::Empty,
    };

    #[inline]
    fn is_open(&self) -> bool {
        self.raw > 0
    }

    /// Steps over bytes of a discarded line, none of them a line end,
    /// keeping only the decoder's state (see `Scanner::extend_line`).
    fn skip(&mut self, bytes: &[u8]) {
        // Still counted: a line with bytes is open (and not a blank line).
        self.raw = self.raw.saturating_add(bytes.len());
        let mut ignored = Count::default();
        let tail = match bytes.len().checked_sub(3) {
            Some(start) if start > 0 => {
                self.decoder = utf8::Decoder::IDLE;
                bytes.get(start..).unwrap_or_default()
            }
            _ => bytes,
        };
        self.decoder.run(tail, &mut ignored);
    }

    /// Takes more bytes of the line, none of them a line end.
    fn absorb(&mut self, bytes: &[u8], wanted: u32) {
        let before = self.raw;
        self.raw = self.raw.saturating_add(bytes.len());
        self.decoder.run(bytes, &mut self.text);
        if self.kind.is_some() {
            self.value(bytes);
            return;
        }
        // Not decided yet, so the head is not full: fill it and look again.
        let (first, rest) = bytes
            .split_at_checked(HEAD.saturating_sub(before).min(bytes.len()))
            .unwrap_or((bytes, &[]));
        let filled = before.saturating_add(first.len()).min(HEAD);
        for (slot, &b) in self.head.iter_mut().skip(before).zip(first) {
            *slot = b;
        }
        let head = self.head.get(..filled).unwrap_or_default();
        let Some((field, value)) = classify(head, false) else {
            return;
        };
        self.kind = Some((field, value));
        self.kept = self.kept
            && match field {
                Field::Data | Field::Event | Field::Id => true,
                Field::Comment => wanted & WANT_COMMENTS != 0,
                // The scanner reads a retry value itself.
                Field::Retry | Field::Other => false,
            };
        let head = self.head;
        self.value(head.get(value..filled).unwrap_or_default());
        self.value(rest);
    }

    /// Bytes of the value: what `id` and `retry` need to know of it.
    #[inline]
    fn value(&mut self, bytes: &[u8]) {
        match self.kind {
            Some((Field::Id, _)) if !self.nul && memchr::memchr(0, bytes).is_some() => {
                self.nul = true;
                self.kept = false;
            }
            Some((Field::Retry, _)) => self.digits = self.digits.push(bytes),
            _ => {}
        }
    }
}

/// A value's place in `T` and its decoded length in bytes.
#[derive(Clone, Copy, Debug)]
struct Value {
    start: u32,
    end: u32,
    bytes: usize,
}

/// The caller's record buffer, written defensively: a record that does not
/// fit is dropped (never with a buffer of [`capacity_for`] the input, which
/// [`Scanner::feed`] checks).
struct Out<'a> {
    words: &'a mut [u32],
    len: usize,
    /// The block's `DATA` record, when it is the block's only record and the
    /// last one written: the blank line can turn it into a `MESSAGE`.
    message_at: Option<usize>,
}

impl Out<'_> {
    #[inline]
    fn push(&mut self, record: &[u32]) {
        let end = self.len.saturating_add(record.len());
        if let Some(slots) = self.words.get_mut(self.len..end) {
            for (slot, &word) in slots.iter_mut().zip(record) {
                *slot = word;
            }
            self.len = end;
        }
        self.message_at = None;
    }

    /// A `DATA` record; `alone`: the block has no record before it.
    #[inline]
    fn data(&mut self, value: Value, alone: bool) {
        let at = self.len;
        self.push(&[DATA, value.start, value.end]);
        if alone && self.len > at {
            self.message_at = Some(at);
        }
    }

    /// Turns the block's lone `DATA` record into a `MESSAGE`, if there is
    /// one.
    #[inline]
    fn message(&mut self) -> bool {
        match self.message_at.take().and_then(|at| self.words.get_mut(at)) {
            Some(tag) => {
                *tag = MESSAGE;
                true
            }
            None => false,
        }
    }
}

/// The streaming scanner: feed it a body's chunks in order, as the shell
/// decodes them, and [`finish`](Scanner::finish) it at the end of the body.
#[derive(Clone, Debug)]
pub struct Scanner {
    max_event_bytes: usize,
    /// [`record::WANT_COMMENTS`], [`record::WANT_RETRY`].
    wanted: u32,
    /// BOM bytes matched at the start of the body, or [`BODY`].
    bom: u8,
    /// The previous chunk ended with CR: an LF that opens this one is the
    /// rest of a CRLF (P2).
    skip_lf: bool,
    line: Line,
    /// The block's buffers as the core holds them, in decoded bytes (`data`
    /// with an LF per line), and whether there was a `data` line and an `id`.
    data_bytes: usize,
    event_bytes: usize,
    id_bytes: usize,
    has_data: bool,
    id_seen: bool,
    /// The shell holds something of the block (a `DATA`, `EVENT` or `ID`
    /// record was written since it was last cleared).
    shell_dirty: bool,
    /// The block went over the limit; lines are skipped until a blank one.
    discarding: bool,
    /// While discarding: the current line has bytes (its end is no blank
    /// line).
    discarded_line_open: bool,
    retry: Option<u64>,
}

impl Scanner {
    /// A scanner for one stream whose events may buffer at most
    /// `max_event_bytes` (as `ssekit::Parser::with_max_event_bytes`), writing
    /// the optional records `wanted` asks for ([`record::WANT_COMMENTS`],
    /// [`record::WANT_RETRY`]; other bits are ignored). An `EventSource`
    /// wants neither: then comments cost nothing but their size check.
    pub const fn new(max_event_bytes: usize, wanted: u32) -> Scanner {
        Scanner {
            max_event_bytes,
            wanted,
            bom: 0,
            skip_lf: false,
            line: Line::NONE,
            data_bytes: 0,
            event_bytes: 0,
            id_bytes: 0,
            has_data: false,
            id_seen: false,
            shell_dirty: false,
            discarding: false,
            discarded_line_open: false,
            retry: None,
        }
    }

    /// The configured limit on bytes buffered for one event.
    pub const fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// The reconnection time the stream last asked for (the last valid
    /// `retry` field, P11), whether or not `RETRY` records are wanted. It
    /// outlives [`finish`](Scanner::finish), as the `Dispatcher`'s does.
    pub const fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Bytes `ssekit::Parser` would hold for the event being read: the open
    /// line as received, the block's fields decoded.
    pub fn buffered_bytes(&self) -> usize {
        let line = if self.discarding { 0 } else { self.line.raw };
        line.saturating_add(self.fields_bytes())
    }

    /// How many more bytes, none of them a line end, can come before one of
    /// them could make the scanner write a record (only a line end or the
    /// size limit does). The shell may hold such bytes back and feed them
    /// with the chunk that ends the line: the records are the same whatever
    /// the chunking, and none of them would have come earlier. 0 at the start
    /// of a body (a BOM is not settled yet) and while an event is discarded
    /// (its line is not counted in [`buffered_bytes`](Scanner::buffered_bytes)).
    pub fn quiet_room(&self) -> usize {
        if self.discarding || self.bom != BODY {
            return 0;
        }
        self.max_event_bytes.saturating_sub(self.buffered_bytes())
    }

    fn fields_bytes(&self) -> usize {
        self.data_bytes
            .saturating_add(self.event_bytes)
            .saturating_add(self.id_bytes)
    }

    /// Scans the next chunk of the body, writing records at the start of
    /// `out`, which must hold [`capacity_for`]`(input.len())` words (else
    /// nothing is scanned).
    pub fn feed(&mut self, input: &[u8], out: &mut [u32]) -> Result<Fed, OutTooSmall> {
        let needed = capacity_for(input.len());
        if out.len() < needed {
            return Err(OutTooSmall { needed });
        }
        let mut out = Out {
            words: out,
            len: 0,
            message_at: None,
        };
        // Where the next unit of text goes in T: after the carry, which is
        // the text of the open line so far, when the shell keeps it.
        let mut at = 0;
        if self.line.is_open() && self.line.kept {
            self.line.start = 0;
            at = self.line.text.units;
        }
        let mut rest = input;
        if self.bom != BODY {
            // P1: exactly one leading BOM is removed; it may arrive split.
            let mut matched = usize::from(self.bom);
            let mut taken = 0;
            while let (Some(want), Some(got)) = (BOM.get(matched), rest.get(taken)) {
                if want != got {
                    break;
                }
                matched = matched.saturating_add(1);
                taken = taken.saturating_add(1);
            }
            if matched == BOM.len() {
                self.bom = BODY;
                rest = rest.get(taken..).unwrap_or_default();
                // With ignoreBOM the text keeps the U+FEFF: one unit that no
                // record points at.
                at = at.saturating_add(1);
            } else if taken == rest.len() {
                // Still a prefix of a BOM; the decoder holds it back too.
                self.bom = u8::try_from(matched).unwrap_or(0);
                return Ok(Fed {
                    words: 0,
                    carry_from: NONE,
                });
            } else {
                // Not a BOM after all: what looked like one is content (and
                // the decoder emits it now, with this chunk's text).
                self.bom = BODY;
                self.body(BOM.get(..matched).unwrap_or_default(), &mut at, &mut out);
                rest = rest.get(taken..).unwrap_or_default();
            }
        }
        self.body(rest, &mut at, &mut out);
        let carry_from = if self.line.is_open() && self.line.kept {
            self.line.start
        } else {
            NONE
        };
        Ok(Fed {
            words: out.len,
            carry_from,
        })
    }

    /// Ends the body (P12): an unterminated block and line are dropped, the
    /// `id` they carried is not committed. The scanner is then ready for a
    /// new body, BOM included, as on a reconnect (the shell makes a new
    /// `TextDecoder` and drops its carry and block at the same moment).
    ///
    /// Returns `true` if anything was dropped, i.e. the body was cut in the
    /// middle of an event (as `ssekit::Parser::finish`).
    pub fn finish(&mut self) -> bool {
        let cut = self.line.is_open()
            || self.has_data
            || self.event_bytes > 0
            || self.id_seen
            || self.discarding
            || (self.bom > 0 && self.bom != BODY);
        *self = Scanner {
            retry: self.retry,
            ..Scanner::new(self.max_event_bytes, self.wanted)
        };
        cut
    }

    /// Scans bytes past the BOM.
    fn body(&mut self, mut rest: &[u8], at: &mut u32, out: &mut Out) {
        if rest.is_empty() {
            return;
        }
        if self.skip_lf {
            self.skip_lf = false;
            if let Some((b'\n', after)) = rest.split_first() {
                rest = after;
                *at = at.saturating_add(1);
            }
        }
        // P2: a line ends at CRLF, a lone LF or a lone CR.
        if self.line.is_open() {
            let Some(end) = find_eol(rest) else {
                self.extend_line(rest, at, out);
                return;
            };
            let (tail, eol) = rest.split_at_checked(end).unwrap_or((rest, &[]));
            let before = self.line.text.units;
            self.line.absorb(tail, self.wanted);
            self.line.decoder.flush(&mut self.line.text);
            *at = at.saturating_add(self.line.text.units.saturating_sub(before));
            self.end_open_line(out);
            rest = self.past_eol(eol, at);
        }
        // Lines that start in this chunk. All ASCII is the usual case, then
        // valid UTF-8: the lines in the valid part need no decoder.
        let ascii = rest.is_ascii();
        let mut valid = if ascii {
            rest.len()
        } else {
            core::str::from_utf8(rest).map_or_else(|error| error.valid_up_to(), str::len)
        };
        loop {
            let end = match rest.first() {
                None => return,
                // Blank lines (every event ends with one) need no search.
                Some(b'\n' | b'\r') => 0,
                Some(_) => match find_eol(rest) {
                    Some(end) => end,
                    None => break,
                },
            };
            let Some((line, eol)) = rest.split_at_checked(end) else {
                return;
            };
            let text = if ascii {
                Count::ascii(end)
            } else if end <= valid {
                Count::of_valid(line)
            } else {
                utf8::measure_line(line)
            };
            self.end_line(line, *at, text, out);
            *at = at.saturating_add(text.units);
            let before = rest.len();
            rest = self.past_eol(eol, at);
            valid = valid.saturating_sub(before.saturating_sub(rest.len()));
        }
        self.open_line(rest, at, out);
    }

    /// Steps over the line end `rest` starts with (P2: CRLF is one, even
    /// when the chunk ends between CR and LF).
    #[inline]
    fn past_eol<'b>(&mut self, rest: &'b [u8], at: &mut u32) -> &'b [u8] {
        let Some((&eol, mut after)) = rest.split_first() else {
            return rest;
        };
        *at = at.saturating_add(1);
        if eol == b'\r' {
            match after.split_first() {
                Some((b'\n', more)) => {
                    after = more;
                    *at = at.saturating_add(1);
                }
                Some(_) => {}
                None => self.skip_lf = true,
            }
        }
        after
    }

    /// A line starts with `bytes` and goes on in the next chunk.
    fn open_line(&mut self, bytes: &[u8], at: &mut u32, out: &mut Out) {
        self.line = Line {
            kept: !self.discarding,
            start: *at,
            ..Line::NONE
        };
        self.extend_line(bytes, at, out);
    }

    /// More of the open line, and no line end (the core's `keep_open_line`).
    fn extend_line(&mut self, bytes: &[u8], at: &mut u32, out: &mut Out) {
        if bytes.is_empty() {
            return;
        }
        if !self.discarding
            && self.buffered_bytes().saturating_add(bytes.len()) > self.max_event_bytes
        {
            self.too_large(out);
        }
        if self.discarding {
            self.discarded_line_open = true;
            // Nothing of a discarded line is reported or counted, and the
            // line does not end in this chunk, so no position comes after
            // it: only the decoder's state after these bytes matters, and
            // their last three decide it (a lead byte always starts a new
            // sequence, and one is at most four bytes). A 1 GiB line is
            // skipped at memory speed.
            self.line.skip(bytes);
            return;
        }
        // Counted even when skipped: the units the line takes in this
        // chunk's text move the positions of what follows.
        let before = self.line.text.units;
        self.line.absorb(bytes, self.wanted);
        *at = at.saturating_add(self.line.text.units.saturating_sub(before));
    }

    /// The open line ended (its bytes and U+FFFD are counted).
    fn end_open_line(&mut self, out: &mut Out) {
        let line = core::mem::replace(&mut self.line, Line::NONE);
        if self.discarding {
            // It has bytes: it is not the blank line that ends discarding.
            self.discarded_line_open = false;
            return;
        }
        // The whole line counts, however it was chunked.
        if self.fields_bytes().saturating_add(line.raw) > self.max_event_bytes {
            self.too_large(out);
            return;
        }
        let head = line.head.get(..line.raw.min(HEAD)).unwrap_or_default();
        let Some((field, v)) = line.kind.or_else(|| classify(head, true)) else {
            return;
        };
        let value = Value {
            start: line.start.saturating_add(utf8::units(v)),
            end: line.start.saturating_add(line.text.units),
            bytes: line.text.bytes.saturating_sub(v),
        };
        self.field(field, value, line.nul, line.digits, out);
    }

    /// A line that started in this chunk ended; `start` is its place in T
    /// (the core's `end_line` and `interpret_line`).
    #[inline]
    fn end_line(&mut self, line: &[u8], start: u32, text: Count, out: &mut Out) {
        if self.discarding {
            self.discarded_line_open = false;
            if line.is_empty() {
                self.discarding = false;
            }
            return;
        }
        if self.fields_bytes().saturating_add(line.len()) > self.max_event_bytes {
            self.too_large(out);
            return;
        }
        // P3: "If the line is empty (a blank line), dispatch the event."
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        // Most lines are data lines: recognised without a search.
        let kind = if let Some(after) = line.strip_prefix(b"data:") {
            Some((
                Field::Data,
                if after.first() == Some(&b' ') { 6 } else { 5 },
            ))
        } else {
            classify(line.get(..HEAD).unwrap_or(line), true)
        };
        let Some((field, v)) = kind else {
            return;
        };
        let bytes = line.get(v..).unwrap_or_default();
        let value = Value {
            start: start.saturating_add(utf8::units(v)),
            end: start.saturating_add(text.units),
            bytes: text.bytes.saturating_sub(v),
        };
        let (nul, digits) = match field {
            Field::Id => (memchr::memchr(0, bytes).is_some(), Digits::Empty),
            Field::Retry => (false, Digits::Empty.push(bytes)),
            _ => (false, Digits::Empty),
        };
        self.field(field, value, nul, digits, out);
    }

    /// P4–P11 for a line within the size limit.
    #[inline]
    fn field(&mut self, field: Field, value: Value, nul: bool, digits: Digits, out: &mut Out) {
        let max = self.max_event_bytes;
        match field {
            Field::Data => {
                // P9: the value and an LF join the data buffer.
                let room = max.saturating_sub(self.event_bytes.saturating_add(self.id_bytes));
                let data = self
                    .data_bytes
                    .saturating_add(value.bytes)
                    .saturating_add(1);
                if data > room {
                    self.too_large(out);
                    return;
                }
                self.data_bytes = data;
                self.has_data = true;
                out.data(value, !self.shell_dirty);
                self.shell_dirty = true;
            }
            Field::Event => {
                // P8: the event type buffer is set.
                self.event_bytes = 0;
                if value.bytes > max.saturating_sub(self.fields_bytes()) {
                    self.too_large(out);
                    return;
                }
                self.event_bytes = value.bytes;
                out.push(&[EVENT, value.start, value.end]);
                self.shell_dirty = true;
            }
            Field::Id => {
                // P10: "If the field value does not contain U+0000 NULL, then
                // set the last event ID buffer to the field value. Otherwise,
                // ignore the field."
                if nul {
                    return;
                }
                self.id_bytes = 0;
                self.id_seen = true;
                if value.bytes > max.saturating_sub(self.fields_bytes()) {
                    self.too_large(out);
                    return;
                }
                self.id_bytes = value.bytes;
                out.push(&[ID, value.start, value.end]);
                self.shell_dirty = true;
            }
            Field::Retry => {
                // P11: only ASCII digits, at least one; it takes effect now.
                if let Some(ms) = digits.ms() {
                    self.retry = Some(ms);
                    if self.wanted & WANT_RETRY != 0 {
                        // The u64 in two words, low first.
                        out.push(&[RETRY, ms as u32, (ms >> 32) as u32]);
                    }
                }
            }
            Field::Comment => {
                // Decoding may make it longer than the line was (the core
                // checks it whether or not anyone wants comments).
                if value.bytes > max.saturating_sub(self.fields_bytes()) {
                    self.too_large(out);
                    return;
                }
                if self.wanted & WANT_COMMENTS != 0 {
                    out.push(&[COMMENT, value.start, value.end]);
                }
            }
            Field::Other => {}
        }
    }

    /// The blank line: the spec's "dispatch the event" and the
    /// `Dispatcher`'s part of it (D1–D5).
    fn dispatch(&mut self, out: &mut Out) {
        if !out.message() && self.shell_dirty {
            let mut flags = 0;
            // D2: an empty data buffer fires nothing...
            if self.has_data {
                flags |= HAS_DATA;
            }
            // ...but an id still becomes the last event ID (D1).
            if self.id_seen {
                flags |= HAS_ID;
            }
            out.push(&[DISPATCH, flags]);
        }
        self.clear_block();
    }

    /// The event is over the limit: it is dropped, and lines are skipped up
    /// to the next blank one (`ParseError::EventTooLarge`).
    fn too_large(&mut self, out: &mut Out) {
        self.clear_block();
        self.discarding = true;
        self.discarded_line_open = false;
        self.line.kept = false;
        out.push(&[TOO_LARGE]);
    }

    fn clear_block(&mut self) {
        self.data_bytes = 0;
        self.event_bytes = 0;
        self.id_bytes = 0;
        self.has_data = false;
        self.id_seen = false;
        self.shell_dirty = false;
    }
}

/// The first line end (CR or LF) in `bytes`.
#[inline]
fn find_eol(bytes: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', bytes)
}
