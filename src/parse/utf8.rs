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
