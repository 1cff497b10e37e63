//! P1: the stream is always UTF-8; invalid bytes become U+FFFD.
//!
//! Decoding happens per complete line. Line endings are ASCII, which never
//! occurs inside a multibyte sequence, so a character split across chunks is
//! whole again by the time its line is decoded.
//!
//! Every function here takes a length it must not exceed, because decoding
//! can grow a line (each invalid byte is a 3-byte U+FFFD) and the event size
//! limit counts decoded bytes. Buffers also grow no further than that
//! length: amortized doubling alone would let a buffer's capacity reach
//! twice the limit.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
#[cfg(not(feature = "simdutf8"))]
use core::str::from_utf8;
#[cfg(feature = "simdutf8")]
use simdutf8::basic::from_utf8;

/// The capacity to reserve so that `len + additional` bytes fit: doubling, as
/// usual, but never past `max_len` (which the caller has checked covers
/// `len + additional`).
fn target_capacity(len: usize, capacity: usize, additional: usize, max_len: usize) -> usize {
    let needed = len + additional;
    capacity
        .saturating_mul(2)
        .max(needed)
        .min(max_len.max(needed))
}

/// Makes room in `out` for `additional` more bytes, up to `max_len` capacity.
pub(super) fn grow_within(out: &mut Vec<u8>, additional: usize, max_len: usize) {
    if out.len() + additional > out.capacity() {
        let target = target_capacity(out.len(), out.capacity(), additional, max_len);
        out.reserve_exact(target - out.len());
    }
}

fn grow_string_within(out: &mut String, additional: usize, max_len: usize) {
    if out.len() + additional > out.capacity() {
        let target = target_capacity(out.len(), out.capacity(), additional, max_len);
        out.reserve_exact(target - out.len());
    }
}

/// Appends `bytes` to `out`, replacing each maximal invalid subsequence with
/// U+FFFD REPLACEMENT CHARACTER, as the Encoding Standard's UTF-8 decoder
/// does — unless `out` would grow past `max_len` bytes: then it returns
/// `false`, having appended part or none of it.
pub(super) fn push_lossy_within(out: &mut String, bytes: &[u8], max_len: usize) -> bool {
    // Valid input is the rule: check it (with SIMD where the feature is on),
    // and only decode by hand when it fails.
    if let Ok(text) = from_utf8(bytes) {
        return push_within(out, text, max_len);
    }
    // Decoded, the bytes take at most 3x their length (one U+FFFD per
    // invalid byte): reserve that once, within bounds, rather than
    // reallocating as replacement characters pile up.
    let worst = bytes.len().saturating_mul(3);
    grow_string_within(out, worst.min(max_len.saturating_sub(out.len())), max_len);
    for chunk in bytes.utf8_chunks() {
        let replacement = if chunk.invalid().is_empty() { 0 } else { 3 };
        if out.len() + chunk.valid().len() + replacement > max_len {
            return false;
        }
        out.push_str(chunk.valid());
        if replacement > 0 {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    true
}

/// Appends `text` unless `out` would grow past `max_len` bytes.
pub(super) fn push_within(out: &mut String, text: &str, max_len: usize) -> bool {
    if out.len() + text.len() > max_len {
        return false;
    }
    grow_string_within(out, text.len(), max_len);
    out.push_str(text);
    true
}

/// `bytes` as text: borrowed when valid; decoded as [`push_lossy_within`]
/// otherwise, or `None` if that takes more than `max_len` bytes.
pub(super) fn decode_within(bytes: &[u8], max_len: usize) -> Option<Cow<'_, str>> {
    if let Ok(text) = from_utf8(bytes) {
        return Some(Cow::Borrowed(text));
    }
    let mut text = String::new();
    push_lossy_within(&mut text, bytes, max_len).then_some(Cow::Owned(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn the_limit_is_inclusive_for_valid_and_decoded_text() {
        let mut out = "ab".to_string();
        assert!(push_within(&mut out, "cd", 4), "exactly the limit fits");
        assert!(!push_within(&mut out, "e", 4), "one byte more does not");
        assert_eq!(out, "abcd");
        // "a", then U+FFFD (3 bytes) for the invalid byte: 4 bytes decoded.
        let mut out = String::new();
        assert!(push_lossy_within(&mut out, b"a\xFF", 4));
        assert_eq!(out, "a\u{FFFD}");
        let mut out = String::new();
        assert!(!push_lossy_within(&mut out, b"a\xFF", 3));
        let mut out = "x".to_string();
        assert!(
            !push_lossy_within(&mut out, b"a\xFF", 4),
            "what is there counts"
        );
    }

    #[test]
    fn growth_doubles_but_never_reserves_past_the_limit() {
        let mut bytes: Vec<u8> = Vec::with_capacity(4);
        bytes.extend_from_slice(b"abcd");
        grow_within(&mut bytes, 1, 1_000);
        assert_eq!(bytes.capacity(), 8, "doubled");
        grow_within(&mut bytes, 4, 1_000);
        assert_eq!(
            bytes.capacity(),
            8,
            "exactly room already: nothing reserved"
        );
        bytes.extend_from_slice(b"efgh");
        grow_within(&mut bytes, 2, 10);
        assert_eq!(bytes.capacity(), 10, "doubling would pass the limit");
        let mut text = String::with_capacity(4);
        text.push_str("abcd");
        assert!(push_within(&mut text, "e", 6));
        assert_eq!(text.capacity(), 6, "doubling would pass the limit");
        assert!(push_within(&mut text, "f", 1_000));
        assert_eq!(text.capacity(), 6, "exactly room already: nothing reserved");
        let mut text = String::new();
        assert!(push_lossy_within(&mut text, b"\xFF\xFF", 1_000));
        assert_eq!(text.capacity(), 6, "three bytes for each invalid one, once");
    }
}
