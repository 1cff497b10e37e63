//! The pieces that SSE-looking test streams are made of: field names right
//! and wrong, separators, values (NUL, BOMs, multibyte and invalid UTF-8)
//! and every line ending. `tests/oracle.rs` draws streams from them with a
//! seeded [`Rng`]; `tests/differential.rs` with proptest.

use crate::chunking::Rng;

/// Field names, right (`data` most often) and wrong: empty, in the wrong
/// case, cut short, behind a BOM that is not the stream's first.
pub const NAMES: &[&[u8]] = &[
    b"data",
    b"data",
    b"data",
    b"event",
    b"id",
    b"retry",
    b"",
    b"Data",
    b"\xEF\xBB\xBFdata",
    b"dat",
];
/// What goes between name and value: a colon and zero, one or two
/// spaces, a tab, or nothing at all.
pub const SEPARATORS: &[&[u8]] = &[b":", b": ", b": ", b":  ", b":\t", b""];
/// Values, or parts of values: digits and not quite digits, a colon, NUL,
/// a BOM and part of one, valid and cut multibyte characters, invalid
/// bytes.
pub const VALUES: &[&[u8]] = &[
    b"a",
    b"x",
    b" ",
    b"12",
    b"7x",
    b":",
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xEF\xBB",
    b"\xC3\xA9",
    b"\xF0\x9F\x98\x80",
    b"\xF0\x9F",
    b"\xFF",
    b"\xC3",
    "日本".as_bytes(),
    b"hello world",
];
/// LF, CR, CRLF, blank lines after each, and no line ending at all (the
/// next piece continues the line).
pub const LINE_ENDINGS: &[&[u8]] = &[
    b"\n",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b"\r\r",
    b"",
];

fn pick<'a>(rng: &mut Rng, from: &[&'a [u8]]) -> &'a [u8] {
    from[rng.below(from.len())]
}

/// A stream of `lines` random lines made of the pieces above, with a BOM
/// at the start now and then.
pub fn random_stream(rng: &mut Rng, lines: usize) -> Vec<u8> {
    let mut stream = Vec::new();
    if rng.below(4) == 0 {
        stream.extend_from_slice(b"\xEF\xBB\xBF");
    }
    for _ in 0..lines {
        stream.extend_from_slice(pick(rng, NAMES));
        stream.extend_from_slice(pick(rng, SEPARATORS));
        for _ in 0..rng.below(4) {
            stream.extend_from_slice(pick(rng, VALUES));
        }
        stream.extend_from_slice(pick(rng, LINE_ENDINGS));
    }
    stream
}
