//! The records [`Scanner::feed`](super::Scanner::feed) writes: the wire
//! format between the scanner and the JavaScript shell, defined here and
//! nowhere else.
//!
//! # Coordinates
//!
//! The shell decodes each body with one streaming decoder,
//! `new TextDecoder("utf-8", { ignoreBOM: true })`, and every chunk once:
//! `text = decoder.decode(bytes, { stream: true })`. It keeps `carry`, the
//! text of the line still open after the previous chunk (`""` at first), and
//! the scanner, fed the same bytes, reports positions as UTF-16 code-unit
//! offsets into `T = carry + text`. A value `a b` is `T.slice(a, b)`. After
//! the records, the shell keeps `carry = carry_from === NONE ? "" :
//! T.slice(carry_from)` ([`Fed::carry_from`](super::Fed::carry_from)).
//! Positions are `u32`s (they saturate; a JavaScript string is far shorter
//! than `u32::MAX` units, which is [`NONE`]).
//!
//! With `ignoreBOM` the decoder keeps a leading U+FEFF in the text: the
//! scanner removes the stream's BOM as `ssekit::Parser` does (exactly one, at
//! the start of the body) and no record points at that unit.
//!
//! # Records
//!
//! A record is a tag word followed by its operands, in stream order:
//!
//! | record | words | meaning |
//! |---|---|---|
//! | [`MESSAGE`]` a b` | 3 | a whole event of one `data` line: fire a `"message"` with data `T[a..b)`; the event ID stays |
//! | [`DATA`]` a b` | 3 | a `data` line: append `T[a..b)` to the block's data lines |
//! | [`EVENT`]` a b` | 3 | an `event` line: the block's event type is `T[a..b)` |
//! | [`ID`]` a b` | 3 | an `id` line: the block's id is `T[a..b)` (never one with U+0000: that line is ignored) |
//! | [`DISPATCH`]` flags` | 2 | a blank line ended a block: [`HAS_DATA`] fire it, [`HAS_ID`] commit its id; then clear the block |
//! | [`TOO_LARGE`] | 1 | the event went over the size limit: clear the block, report the error |
//! | [`RETRY`]` lo hi` | 3 | a valid `retry` line: `lo + hi * 2**32` milliseconds (only with [`WANT_RETRY`]) |
//! | [`COMMENT`]` a b` | 3 | a comment line, its text `T[a..b)` (only with [`WANT_COMMENTS`]) |
//!
//! Values exclude the one space after the colon, as the spec says.
//!
//! # The shell's block
//!
//! The shell holds the block being read: its data lines, event type (`""`)
//! and id (none), and the stream's last event ID. On [`DISPATCH`]: with
//! [`HAS_ID`] the block's id becomes the last event ID (also when nothing
//! fires); with [`HAS_DATA`] an event fires, its type the block's event type
//! or `"message"` when that is empty, its data the data lines joined with
//! `"\n"`, its last event ID the (updated) last event ID; then the block is
//! cleared. `DISPATCH 0` only clears (a block that set an event type and
//! nothing else). A block that holds nothing ends with no record at all.
//! [`MESSAGE`] stands for `DATA a b` + `DISPATCH HAS_DATA` when they are
//! the only records of a block and arrive in one call: the shell's block is
//! empty before and after it.

/// A whole event of one `data` line: `MESSAGE a b`.
pub const MESSAGE: u32 = 1;
/// A `data` line: `DATA a b`.
pub const DATA: u32 = 2;
/// An `event` line: `EVENT a b`.
pub const EVENT: u32 = 3;
/// An `id` line: `ID a b`.
pub const ID: u32 = 4;
/// The blank line that ends a block: `DISPATCH flags`.
pub const DISPATCH: u32 = 5;
/// The event went over the size limit: `TOO_LARGE`, no operands.
pub const TOO_LARGE: u32 = 6;
/// A valid `retry` line: `RETRY lo hi`, the milliseconds as a `u64` split in
/// two words (saturated at `u64::MAX`).
pub const RETRY: u32 = 7;
/// A comment line: `COMMENT a b`.
pub const COMMENT: u32 = 8;

/// [`DISPATCH`] flag: the block has data, fire an event.
pub const HAS_DATA: u32 = 1 << 0;
/// [`DISPATCH`] flag: the block set an id, which becomes the last event ID.
pub const HAS_ID: u32 = 1 << 1;

/// `carry_from` when the shell keeps no carry: no line is open, or the open
/// one is skipped (an oversized event, an unwanted comment, a `retry` line, an
/// unknown field, an `id` with U+0000).
pub const NONE: u32 = u32::MAX;

/// [`Scanner::new`](super::Scanner::new) flag: write [`COMMENT`] records.
pub const WANT_COMMENTS: u32 = 1 << 0;
/// [`Scanner::new`](super::Scanner::new) flag: write [`RETRY`] records.
pub const WANT_RETRY: u32 = 1 << 1;

/// The words of a record with tag `tag`, the tag included (0 for a word
/// that is no tag).
pub const fn words(tag: u32) -> usize {
    match tag {
        MESSAGE | DATA | EVENT | ID | RETRY | COMMENT => 3,
        DISPATCH => 2,
        TOO_LARGE => 1,
        _ => 0,
    }
}
