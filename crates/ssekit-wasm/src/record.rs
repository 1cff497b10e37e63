//! What `stream_feed` writes for JavaScript: the wire format between this
//! crate and js/ssekit.js, defined here and nowhere else (the shell spells
//! the constants with the same names; a test checks that they agree).
//!
//! A feed writes records, in stream order, and the UTF-8 text of their
//! strings laid end to end in one area. JavaScript decodes that area with
//! one `new TextDecoder("utf-8", { ignoreBOM: true })` call into `T` and
//! takes each string as the next `len` UTF-16 units of `T`, in the order
//! below. (The text is valid UTF-8, so the decoded strings are exactly the
//! core's.)
//!
//! | record | words | strings taken from `T`, in order |
//! |---|---|---|
//! | [`MESSAGE`]` flags type data last_id` | 5 | the event type (only with [`CUSTOM_TYPE`]; otherwise it is `"message"`), the data, the last event ID (only with [`NEW_LAST_ID`]; otherwise it is the previous message's in this feed) |
//! | [`COMMENT`]` len` | 2 | the comment's text (only with [`WANT_COMMENTS`]) |
//! | [`RETRY`]` lo hi` | 3 | none: `lo + hi * 2**32` milliseconds (an `SseParser` with [`WANT_RETRY`]) |
//! | [`TOO_LARGE`] | 1 | none: an event went over the size limit and was dropped |
//!
//! A [`MESSAGE`] with [`OWN_ID`] had an `id` field of its own (its `id` is
//! then the last event ID). The first message of every feed has
//! [`NEW_LAST_ID`], so the shell needs nothing from an earlier feed.

use alloc::vec::Vec;

use ssekit::Message;

/// A message to dispatch: `MESSAGE flags type data last_id` (lengths in
/// UTF-16 units).
pub const MESSAGE: u32 = 1;
/// A comment line: `COMMENT len`.
pub const COMMENT: u32 = 2;
/// A valid `retry` field: `RETRY lo hi`.
pub const RETRY: u32 = 3;
/// An event over the size limit was dropped: `TOO_LARGE`.
pub const TOO_LARGE: u32 = 4;

/// [`MESSAGE`] flag: the event type is not `"message"`; its text comes
/// first.
pub const CUSTOM_TYPE: u32 = 1;
/// [`MESSAGE`] flag: the event had an `id` field.
pub const OWN_ID: u32 = 2;
/// [`MESSAGE`] flag: the last event ID's text follows the data (it is not
/// the previous message's).
pub const NEW_LAST_ID: u32 = 4;

/// Stream flag: write [`COMMENT`] records.
pub const WANT_COMMENTS: u32 = 1;
/// Stream flag: write [`RETRY`] records (an `SseParser` with `onRetry`).
pub const WANT_RETRY: u32 = 2;

/// Capacity kept between feeds: what one big event needed is given back
/// when the next feed starts.
const KEEP: usize = 64 * 1024;

/// One feed's records and text.
pub struct Out {
    /// The records.
    pub records: Vec<u32>,
    /// The strings' UTF-8, end to end.
    pub text: Vec<u8>,
    /// `text`'s length in UTF-16 units.
    pub units: u32,
    /// The last event ID the records last carried...
    last_id: Vec<u8>,
    /// ...unless no message of this feed carried one yet.
    fresh: bool,
}

impl Out {
    /// Nothing written yet.
    pub const fn new() -> Out {
        Out {
            records: Vec::new(),
            text: Vec::new(),
            units: 0,
            last_id: Vec::new(),
            fresh: true,
        }
    }

    /// Forgets the last feed (and the memory a big one needed).
    pub fn clear(&mut self) {
        self.records.clear();
        self.text.clear();
        self.units = 0;
        self.fresh = true;
        if self.text.capacity() > KEEP {
            self.text.shrink_to(KEEP);
        }
        if self.records.capacity() > KEEP {
            self.records.shrink_to(KEEP);
        }
    }

    /// Appends a string's text; returns its length in UTF-16 units.
    fn string(&mut self, text: &str) -> u32 {
        let units = utf16_len(text);
        self.text.extend_from_slice(text.as_bytes());
        self.units = self.units.saturating_add(units);
        units
    }

    /// A message (D1–D5 already applied by the core).
    pub fn message(&mut self, message: &Message<'_>) {
        let mut flags = 0;
        let mut event_type = 0;
        if message.event_type != ssekit::DEFAULT_EVENT_TYPE {
            flags |= CUSTOM_TYPE;
            event_type = self.string(message.event_type);
        }
        if message.id.is_some() {
            flags |= OWN_ID;
        }
        let data = self.string(message.data);
        let mut last_id = 0;
        let id = message.last_event_id.as_bytes();
        if self.fresh || self.last_id != id {
            flags |= NEW_LAST_ID;
            last_id = self.string(message.last_event_id);
            self.last_id.clear();
            self.last_id.extend_from_slice(id);
            self.fresh = false;
        }
        self.records
            .extend_from_slice(&[MESSAGE, flags, event_type, data, last_id]);
    }

    /// A comment line.
    pub fn comment(&mut self, text: &str) {
        let len = self.string(text);
        self.records.extend_from_slice(&[COMMENT, len]);
    }

    /// A `retry` field.
    pub fn retry(&mut self, ms: u64) {
        // The u64 in two words, low first.
        self.records
            .extend_from_slice(&[RETRY, ms as u32, (ms >> 32) as u32]);
    }

    /// An event over the limit.
    pub fn too_large(&mut self) {
        self.records.push(TOO_LARGE);
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

/// The length of `text` in UTF-16 code units: one per character, two for
/// one outside the Basic Multilingual Plane (a 4-byte sequence).
pub fn utf16_len(text: &str) -> u32 {
    let units = if is_ascii(text.as_bytes()) {
        text.len()
    } else {
        text.bytes()
            .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
            .sum()
    };
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// Whether every byte is ASCII: 16 bytes a step, OR-ed together. `[u8]::is_ascii`
/// goes a byte at a time in this size-optimised build, and this check runs
/// over every string a feed writes (measured: a quarter of the records'
/// cost on small events).
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH: u128 = u128::from_ne_bytes([0x80; 16]);
    let mut chunks = bytes.chunks_exact(16);
    let mut any = 0u128;
    for chunk in &mut chunks {
        let mut word = [0; 16];
        word.copy_from_slice(chunk);
        any |= u128::from_ne_bytes(word);
    }
    let rest = chunks.remainder().iter().fold(0, |any, &b| any | b);
    any & HIGH == 0 && rest < 0x80
}
