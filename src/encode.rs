//! The encoder: builds events that are always well formed.
//!
//! Every field is checked before anything is written, so an event is either
//! written whole or not at all, and no value can end its line early and smuggle
//! in a field of its own.
//!
//! ```
//! use ssekit::{Event, EncodeError, Field};
//!
//! let mut out = String::new();
//! Event::new().event("update").id("42").retry(2_000).data("line 1\r\nline 2").encode_into(&mut out)?;
//! assert_eq!(out, "event: update\nid: 42\nretry: 2000\ndata: line 1\ndata: line 2\n\n");
//!
//! // An id that tries to inject a second field is refused, and nothing is written.
//! let attack = Event::new().id("1\ndata: forged").data("x").encode_into(&mut out);
//! assert_eq!(attack, Err(EncodeError::LineBreak { field: Field::Id, at: 1 }));
//! assert!(out.ends_with("data: line 2\n\n"));
//! # Ok::<(), EncodeError>(())
//! ```

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A heartbeat: a comment line and a blank line.
///
/// Clients ignore it (the parser reports it as
/// [`Item::Comment`](crate::Item::Comment) with text `keep-alive`). Sent every ~15 s on an idle
/// stream it keeps proxies and load balancers from closing the connection. The
/// blank line ends nothing when sent between events, as the encoder always
/// writes whole events.
pub const KEEP_ALIVE: &str = ": keep-alive\n\n";

/// The single-line fields the encoder checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The `event` (type) field.
    Event,
    /// The `id` field.
    Id,
    /// A comment line.
    Comment,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Event => "event",
            Field::Id => "id",
            Field::Comment => "comment",
        }
    }
}

/// Why an event could not be encoded. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A CR or LF in a single-line field would end its line and start another.
    LineBreak {
        /// The offending field.
        field: Field,
        /// Byte offset of the CR or LF in the value.
        at: usize,
    },
    /// A NUL in `event` or `id` (browsers would silently ignore such an `id`).
    Nul {
        /// The offending field.
        field: Field,
        /// Byte offset of the NUL in the value.
        at: usize,
    },
    /// The value given to `Event::json_data` (feature `json`) could not be
    /// serialized; the text is serde_json's reason. The variant exists with
    /// or without the feature, so the type has one shape everywhere.
    Json(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::LineBreak { field, at } => write!(
                f,
                "SSE {} contains a line break at byte {at}; it would inject a new field",
                field.name()
            ),
            EncodeError::Nul { field, at } => {
                write!(f, "SSE {} contains a NUL at byte {at}", field.name())
            }
            EncodeError::Json(reason) => {
                write!(f, "SSE data is not serializable as JSON: {reason}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EncodeError {}

/// A buffer the encoder can append to: `String` or `Vec<u8>`.
pub trait Buffer: sealed::Sealed {
    #[doc(hidden)]
    fn push(&mut self, text: &str);
    #[doc(hidden)]
    fn reserve_more(&mut self, additional: usize);
}

impl Buffer for String {
    fn push(&mut self, text: &str) {
        self.push_str(text);
    }
    fn reserve_more(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

impl Buffer for Vec<u8> {
    fn push(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
    fn reserve_more(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for alloc::string::String {}
    impl Sealed for alloc::vec::Vec<u8> {}
}

/// One event to send. Build it with the setters, then
/// [`encode_into`](Event::encode_into) a buffer.
///
/// Fields are written in a fixed order — comment, `event`, `id`, `retry`,
/// `data` — followed by the blank line that dispatches the event.
/// An event without data sets what it carries (`id`, `retry`) without
/// dispatching anything in a browser; `data("")` dispatches an empty message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    comment: Option<Cow<'a, str>>,
    event: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    retry: Option<u64>,
    data: Option<Cow<'a, str>>,
}

impl<'a> Event<'a> {
    /// An empty event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the data. It may span lines: CR, LF and CRLF each count as one
    /// line break, and clients receive LF.
    pub fn data(mut self, data: impl Into<Cow<'a, str>>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the data to `value` as compact JSON (one line).
    #[cfg(feature = "json")]
    pub fn json_data<T: serde::Serialize + ?Sized>(
        mut self,
        value: &T,
    ) -> Result<Self, EncodeError> {
        let json = serde_json::to_string(value)
            .map_err(|e| EncodeError::Json(alloc::string::ToString::to_string(&e)))?;
        self.data = Some(Cow::Owned(json));
        Ok(self)
    }

    /// Sets the event type (browsers fire it as a listener of that name).
    pub fn event(mut self, event_type: impl Into<Cow<'a, str>>) -> Self {
        self.event = Some(event_type.into());
        self
    }

    /// Sets the id. Browsers send the last one back as `Last-Event-ID` when
    /// they reconnect; `""` clears it.
    pub fn id(mut self, id: impl Into<Cow<'a, str>>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Asks the client to wait `ms` milliseconds before reconnecting.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// Adds a comment line (clients ignore it).
    pub fn comment(mut self, text: impl Into<Cow<'a, str>>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// Checks every field without writing anything.
    pub fn validate(&self) -> Result<(), EncodeError> {
        if let Some(text) = self.comment.as_deref() {
            check_single_line(Field::Comment, text)?;
        }
        if let Some(event) = self.event.as_deref() {
            check_single_line(Field::Event, event)?;
            check_no_nul(Field::Event, event)?;
        }
        if let Some(id) = self.id.as_deref() {
            check_single_line(Field::Id, id)?;
            check_no_nul(Field::Id, id)?;
        }
        Ok(())
    }

    /// Appends the event to `out`, or returns why it cannot and leaves `out`
    /// untouched.
    pub fn encode_into<B: Buffer>(&self, out: &mut B) -> Result<(), EncodeError> {
        self.validate()?;
        out.reserve_more(self.encoded_len_estimate());
        if let Some(text) = self.comment.as_deref() {
            write_line(out, "", text);
        }
        if let Some(event) = self.event.as_deref() {
            write_line(out, "event", event);
        }
        if let Some(id) = self.id.as_deref() {
            write_line(out, "id", id);
        }
        if let Some(ms) = self.retry {
            let mut digits = [0; 20];
            write_line(out, "retry", format_u64(ms, &mut digits));
        }
        if let Some(data) = &self.data {
            for line in split_lines(data) {
                write_line(out, "data", line);
            }
        }
        out.push("\n");
        Ok(())
    }

    /// The same event owning its fields, e.g. to send it through a channel
    /// or a `Stream` that outlives the borrowed strings.
    pub fn into_owned(self) -> Event<'static> {
        let own = |field: Option<Cow<'a, str>>| field.map(|text| Cow::Owned(text.into_owned()));
        Event {
            comment: own(self.comment),
            event: own(self.event),
            id: own(self.id),
            retry: self.retry,
            data: own(self.data),
        }
    }

    fn encoded_len_estimate(&self) -> usize {
        // Field names, separators and newlines are < 16 bytes a line.
        let data = self.data.as_deref().map_or(0, |d| d.len() + 16);
        let single = [&self.comment, &self.event, &self.id]
            .iter()
            .map(|v| v.as_deref().map_or(0, |v| v.len() + 16))
            .sum::<usize>();
        data + single + 32
    }
}

/// An event already encoded: text that is known to be whole, well-formed
/// events (or comments), ready to write to any number of streams.
///
/// It can only be made by the encoder, so a stream of `EncodedEvent` values can
/// never carry a malformed or injected field. Cloning is cheap (the text is
/// shared), which is what a broadcast to many subscribers wants: encode once,
/// send everywhere.
///
/// ```
/// use ssekit::{EncodedEvent, Event};
///
/// let tick = EncodedEvent::new(&Event::new().event("tick").id("7").data("a\nb"))?;
/// assert_eq!(tick.as_str(), "event: tick\nid: 7\ndata: a\ndata: b\n\n");
/// assert_eq!(EncodedEvent::message("hi").as_str(), "data: hi\n\n"); // cannot fail
/// // A comment alone, e.g. a heartbeat of your own:
/// assert_eq!(EncodedEvent::new(&Event::new().comment("ping"))?.as_str(), ": ping\n\n");
/// # Ok::<(), ssekit::EncodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EncodedEvent(alloc::sync::Arc<str>);

impl EncodedEvent {
    /// Encodes `event`, or says why it cannot be encoded.
    pub fn new(event: &Event<'_>) -> Result<Self, EncodeError> {
        let mut out = String::new();
        event.encode_into(&mut out)?;
        Ok(EncodedEvent(out.into()))
    }

    /// A message with only `data`: the one event that cannot be refused
    /// (any text is valid data), so it needs no `Result`, e.g. in a relay
    /// handler that answers with an event of its own.
    pub fn message(data: &str) -> Self {
        let mut out = String::with_capacity(data.len() + 8);
        for line in split_lines(data) {
            write_line(&mut out, "data", line);
        }
        out.push('\n');
        EncodedEvent(out.into())
    }

    /// Text the encoder wrote, taken back as it is: `None` unless it is
    /// exactly one event (or comment) as [`Event::encode_into`] writes one,
    /// so the type's promise holds. For encoded events that travel between
    /// processes, e.g. from a broadcast's root to its shards, which then
    /// neither parse nor encode them again.
    ///
    /// ```
    /// use ssekit::{EncodedEvent, Event};
    ///
    /// let sent = EncodedEvent::new(&Event::new().id("7").data("a\nb"))?;
    /// assert_eq!(EncodedEvent::from_text(sent.as_str()), Some(sent));
    /// assert_eq!(EncodedEvent::from_text("data: a\n\ndata: b\n\n"), None); // two events
    /// assert_eq!(EncodedEvent::from_text("data: a\r\n\r\n"), None); // not the encoder's line ends
    /// # Ok::<(), ssekit::EncodeError>(())
    /// ```
    pub fn from_text(text: &str) -> Option<Self> {
        let body = text.strip_suffix('\n')?;
        if memchr::memchr(b'\r', body.as_bytes()).is_some() {
            return None;
        }
        if !body.is_empty() {
            // Every line whole and non-empty: the one blank line is the last.
            for line in body.strip_suffix('\n')?.split('\n') {
                let (name, value) = line.split_once(':')?;
                let value = value.strip_prefix(' ').unwrap_or(value);
                let valid = match name {
                    "" | "data" => true,
                    "event" | "id" => memchr::memchr(0, value.as_bytes()).is_none(),
                    "retry" => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
                    _ => false,
                };
                if !valid {
                    return None;
                }
            }
        }
        Some(EncodedEvent(text.into()))
    }

    /// The encoded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: an encoded event holds at least its blank line.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<str> for EncodedEvent {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Writes `name: value\n` (`name:\n` for an empty value). The single space
/// is the one the parser removes (P5), so values that start with a space
/// survive.
fn write_line<B: Buffer>(out: &mut B, name: &str, value: &str) {
    out.push(name);
    if value.is_empty() {
        out.push(":\n");
    } else {
        out.push(": ");
        out.push(value);
        out.push("\n");
    }
}

fn check_single_line(field: Field, value: &str) -> Result<(), EncodeError> {
    match memchr::memchr2(b'\r', b'\n', value.as_bytes()) {
        Some(at) => Err(EncodeError::LineBreak { field, at }),
        None => Ok(()),
    }
}

fn check_no_nul(field: Field, value: &str) -> Result<(), EncodeError> {
    match memchr::memchr(0, value.as_bytes()) {
        Some(at) => Err(EncodeError::Nul { field, at }),
        None => Ok(()),
    }
}

/// Splits data into lines at CRLF, lone CR and lone LF, CRLF being one break,
/// exactly as the parser will split them again (P2). Always yields at least
/// one line, so empty data still produces a `data` line.
fn split_lines(data: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(data);
    core::iter::from_fn(move || {
        let text = rest?;
        let bytes = text.as_bytes();
        match memchr::memchr2(b'\r', b'\n', bytes) {
            None => {
                rest = None;
                Some(text)
            }
            Some(end) => {
                let after = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
                    end + 2
                } else {
                    end + 1
                };
                // CR and LF are ASCII, so both cuts fall on char boundaries.
                rest = Some(&text[after..]);
                Some(&text[..end])
            }
        }
    })
}

/// Formats `n` in base ten into `buf` (u64::MAX has 20 digits).
pub(crate) fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    core::str::from_utf8(&buf[start..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn split_lines_counts_crlf_once() {
        let lines: Vec<&str> = split_lines("a\r\nb\rc\nd\r\r\n").collect();
        assert_eq!(lines, vec!["a", "b", "c", "d", "", ""]);
        assert_eq!(split_lines("").collect::<Vec<_>>(), vec![""]);
    }

    #[test]
    fn formats_u64() {
        let mut buf = [0; 20];
        assert_eq!(format_u64(0, &mut buf), "0");
        assert_eq!(format_u64(u64::MAX, &mut buf), "18446744073709551615");
    }
}
