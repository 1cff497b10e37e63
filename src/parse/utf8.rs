//! P1: the stream is always UTF-8; invalid bytes become U+FFFD.
//!
//! Decoding happens per complete line. Line endings are ASCII, which never
//! occurs inside a multibyte sequence, so a character split across chunks is
//! whole again by the time its line is decoded.

use alloc::borrow::Cow;
use alloc::string::String;

/// Appends `bytes` to `out`, replacing each maximal invalid subsequence with
/// U+FFFD REPLACEMENT CHARACTER, as the Encoding Standard's UTF-8 decoder does.
pub(super) fn push_lossy(out: &mut String, bytes: &[u8]) {
    // Valid input is the rule: check it with SIMD, and only decode by hand
    // when it fails.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        out.push_str(text);
        return;
    }
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// `bytes` as text: borrowed when valid, decoded as [`push_lossy`] otherwise.
pub(super) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
