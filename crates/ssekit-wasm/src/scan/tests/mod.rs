//! The scanner's tests: the records of tricky inputs, one by one, then
//! the differential test against the core ([`oracle`]) through a model of
//! the JavaScript shell ([`shell`]).
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

mod oracle;
mod shell;

use super::record::*;
use super::utf8::{measure_line, Count, Decoder};
use super::{capacity_for, Fed, OutTooSmall, Scanner};

const BIG: usize = usize::MAX;
const ALL: u32 = WANT_COMMENTS | WANT_RETRY;

/// Per chunk: the record words and `carry_from`.
fn scan(scanner: &mut Scanner, chunks: &[&[u8]]) -> Vec<(Vec<u32>, u32)> {
    chunks
        .iter()
        .map(|chunk| {
            let mut out = vec![0; capacity_for(chunk.len())];
            let Fed { words, carry_from } = scanner.feed(chunk, &mut out).unwrap();
            out.truncate(words);
            (out, carry_from)
        })
        .collect()
}

struct Case {
    name: &'static str,
    chunks: &'static [&'static [u8]],
    max: usize,
    wanted: u32,
    /// Per chunk: the record words and `carry_from`.
    want: &'static [(&'static [u32], u32)],
}

const fn case(
    name: &'static str,
    chunks: &'static [&'static [u8]],
    want: &'static [(&'static [u32], u32)],
) -> Case {
    Case {
        name,
        chunks,
        max: BIG,
        wanted: ALL,
        want,
    }
}

impl Case {
    const fn max(self, max: usize) -> Case {
        Case { max, ..self }
    }

    const fn wanted(self, wanted: u32) -> Case {
        Case { wanted, ..self }
    }
}

const CASES: &[Case] = &[
    // Line ends (P2).
    case("lf", &[b"data: hi\n\n"], &[(&[MESSAGE, 6, 8], NONE)]),
    case("crlf", &[b"data: hi\r\n\r\n"], &[(&[MESSAGE, 6, 8], NONE)]),
    case("cr", &[b"data: hi\r\r"], &[(&[MESSAGE, 6, 8], NONE)]),
    case(
        "crlf split between cr and lf",
        &[b"data: a\r", b"\ndata: b\r\n\r\n"],
        &[
            (&[DATA, 6, 7], NONE),
            (&[DATA, 7, 8, DISPATCH, HAS_DATA], NONE),
        ],
    ),
    case(
        "cr, then cr in the next chunk: a blank line",
        &[b"data: a\r", b"\r"],
        &[(&[DATA, 6, 7], NONE), (&[DISPATCH, HAS_DATA], NONE)],
    ),
    case(
        "cr, then lf and lf",
        &[b"data: a\r", b"\n\n"],
        &[(&[DATA, 6, 7], NONE), (&[DISPATCH, HAS_DATA], NONE)],
    ),
    case("blank lines alone", &[b"\n\n\r\n\r"], &[(&[], NONE)]),
    // The BOM (P1): the text keeps U+FEFF, one unit.
    case(
        "bom",
        &[b"\xEF\xBB\xBFdata: x\n\n"],
        &[(&[MESSAGE, 7, 8], NONE)],
    ),
    case(
        "bom split",
        &[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"],
        &[(&[], NONE), (&[], NONE), (&[MESSAGE, 7, 8], NONE)],
    ),
    case(
        "a second bom is content",
        &[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n"],
        &[(&[MESSAGE, 17, 18], NONE)],
    ),
    case(
        "half a bom is content (one U+FFFD)",
        &[b"\xEF\xBB", b"data: x\n\ndata: y\n\n"],
        &[(&[], NONE), (&[MESSAGE, 16, 17], NONE)],
    ),
    // UTF-16 units as TextDecoder counts them.
    case(
        "a two-byte character split",
        &[b"data: \xC3", b"\xA9\n\n"],
        &[(&[], 0), (&[MESSAGE, 6, 7], NONE)],
    ),
    case(
        "four-byte characters take two units",
        &["data: \u{1f600}\u{1f600}\n\n".as_bytes()],
        &[(&[MESSAGE, 6, 10], NONE)],
    ),
    case(
        "a four-byte character split",
        &[b"data: \xF0\x9F", b"\x98\x80!\n\n"],
        &[(&[], 0), (&[MESSAGE, 6, 9], NONE)],
    ),
    case(
        "a split character in a skipped line still moves positions",
        &[b"x: \xF0\x9F", b"\x98\x80\ndata: y\n\n"],
        &[(&[], NONE), (&[MESSAGE, 9, 10], NONE)],
    ),
    case(
        "one U+FFFD per maximal subpart",
        &[b"data: \xE0\x80\xAF|\xF0\x9F\x98x|\xFF\n\n"],
        &[(&[MESSAGE, 6, 14], NONE)],
    ),
    case(
        "an invalid sequence split",
        &[b"data: \xF0\x9F", b"x\n\n"],
        &[(&[], 0), (&[MESSAGE, 6, 8], NONE)],
    ),
    case(
        "a sequence cut by the line end",
        &[b"data: \xF0\x9F", b"\n\n"],
        &[(&[], 0), (&[MESSAGE, 6, 7], NONE)],
    ),
    // retry (P11).
    case(
        "retry forms",
        &[
            b"retry: 100\nretry:7\nretry: 1x\nretry:\nretry\nretry:  5\nretry: -1\n\
            retry: 4294967296\nretry: 99999999999999999999999\n",
        ],
        &[(
            &[
                RETRY,
                100,
                0,
                RETRY,
                7,
                0,
                RETRY,
                0,
                1,
                RETRY,
                u32::MAX,
                u32::MAX,
            ],
            NONE,
        )],
    ),
    case("retry not wanted", &[b"retry: 100\n"], &[(&[], NONE)]).wanted(WANT_COMMENTS),
    case(
        "a retry line is never carried",
        &[b"retry: 1", b"2\n"],
        &[(&[], NONE), (&[RETRY, 12, 0], NONE)],
    ),
    // id (P10, D1).
    case(
        "an id with NUL is ignored",
        &[b"id: 1\nid: a\0b\ndata: x\n\n"],
        &[(&[ID, 4, 5, DATA, 20, 21, DISPATCH, HAS_DATA | HAS_ID], NONE)],
    ),
    case(
        "an id alone is committed",
        &[b"id: 7\n\n"],
        &[(&[ID, 4, 5, DISPATCH, HAS_ID], NONE)],
    ),
    case(
        "an empty id",
        &[b"id\n\n"],
        &[(&[ID, 2, 2, DISPATCH, HAS_ID], NONE)],
    ),
    case(
        "an id is carried until its NUL",
        &[b"id: a", b"b\0", b"c\ndata: x\n\n"],
        &[(&[], 0), (&[], NONE), (&[MESSAGE, 8, 9], NONE)],
    ),
    // Comments (P4).
    case(
        "comments wanted",
        &[b": hi\n:\n::x\n"],
        &[(&[COMMENT, 2, 4, COMMENT, 6, 6, COMMENT, 8, 10], NONE)],
    )
    .wanted(WANT_COMMENTS),
    case("comments not wanted", &[b": hi\n:\n::x\n"], &[(&[], NONE)]).wanted(WANT_RETRY),
    case("an open comment, wanted", &[b": abc"], &[(&[], 0)]),
    case("an open comment, not wanted", &[b": abc"], &[(&[], NONE)]).wanted(0),
    // The fast path and the general one.
    case(
        "event and data",
        &[b"event: e\ndata: x\n\n"],
        &[(&[EVENT, 7, 8, DATA, 15, 16, DISPATCH, HAS_DATA], NONE)],
    ),
    case(
        "two data lines",
        &[b"data: a\ndata: b\n\n"],
        &[(&[DATA, 6, 7, DATA, 14, 15, DISPATCH, HAS_DATA], NONE)],
    ),
    case(
        "a wanted comment between data and blank line",
        &[b"data: x\n: c\n\n"],
        &[(&[DATA, 6, 7, COMMENT, 10, 11, DISPATCH, HAS_DATA], NONE)],
    ),
    case(
        "an unwanted comment between data and blank line",
        &[b"data: x\n: c\n\n"],
        &[(&[MESSAGE, 6, 7], NONE)],
    )
    .wanted(0),
    case(
        "a comment before the data",
        &[b": c\ndata: x\n\n"],
        &[(&[COMMENT, 2, 3, MESSAGE, 10, 11], NONE)],
    ),
    case(
        "a wanted retry after the data",
        &[b"data: x\nretry: 5\n\n"],
        &[(&[DATA, 6, 7, RETRY, 5, 0, DISPATCH, HAS_DATA], NONE)],
    ),
    case(
        "an unwanted retry after the data",
        &[b"data: x\nretry: 5\n\n"],
        &[(&[MESSAGE, 6, 7], NONE)],
    )
    .wanted(0),
    case(
        "an event type and no data: the shell clears its block",
        &[b"event: e\n\n"],
        &[(&[EVENT, 7, 8, DISPATCH, 0], NONE)],
    ),
    case(
        "a block across chunks",
        &[b"data: x\n", b"\n"],
        &[(&[DATA, 6, 7], NONE), (&[DISPATCH, HAS_DATA], NONE)],
    ),
    case(
        "empty data fires",
        &[b"data\n\n"],
        &[(&[MESSAGE, 4, 4], NONE)],
    ),
    // The carry.
    case(
        "the carry is the open line",
        &[b"data: a\ndata: bc", b"d\n\n"],
        &[
            (&[DATA, 6, 7], 8),
            (&[DATA, 6, 9, DISPATCH, HAS_DATA], NONE),
        ],
    ),
    case(
        "a line that may be a field is kept",
        &[b"dat", b"a: x\n\n"],
        &[(&[], 0), (&[MESSAGE, 6, 7], NONE)],
    ),
    case(
        "the space after the colon arrives later",
        &[b"data:", b" x\n\n"],
        &[(&[], 0), (&[MESSAGE, 6, 7], NONE)],
    ),
    case(
        "no space after the colon",
        &[b"data:", b"x\n\n"],
        &[(&[], 0), (&[MESSAGE, 5, 6], NONE)],
    ),
    case(
        "an unknown field is not carried",
        &[b"datx", b"yz\ndata: a\n\n"],
        &[(&[], NONE), (&[MESSAGE, 9, 10], NONE)],
    ),
    // The size limit.
    case(
        "a line over the limit",
        &[b"data: 123\n\ndata: x\n\n"],
        &[(&[TOO_LARGE, MESSAGE, 17, 18], NONE)],
    )
    .max(8),
    case(
        "an open line over the limit",
        &[b"data: 12345", b"678\n\ndata: x\n\n"],
        &[(&[TOO_LARGE], NONE), (&[MESSAGE, 11, 12], NONE)],
    )
    .max(8),
    case(
        "two U+FFFD within the limit",
        &[b"data:\xFF\xFF\n\n"],
        &[(&[MESSAGE, 5, 7], NONE)],
    )
    .max(8),
    case(
        "three U+FFFD over it",
        &[b"data:\xFF\xFF\xFF\n\n"],
        &[(&[TOO_LARGE], NONE)],
    )
    .max(8),
    case(
        "an invalid comment over it, wanted or not",
        &[b":\xFF\xFF\xFF\n\n"],
        &[(&[TOO_LARGE], NONE)],
    )
    .max(8)
    .wanted(0),
    case(
        "the dropped event's id is dropped",
        &[b"id: 1\ndata: 1234567\n\ndata: x\n\n"],
        &[(&[ID, 4, 5, TOO_LARGE, MESSAGE, 27, 28], NONE)],
    )
    .max(12),
    case(
        "limit 0",
        &[b"data: x\n\n\n: c\n"],
        &[(&[TOO_LARGE, TOO_LARGE], NONE)],
    )
    .max(0),
];

#[test]
fn records() {
    for case in CASES {
        let mut scanner = Scanner::new(case.max, case.wanted);
        let got = scan(&mut scanner, case.chunks);
        let want: Vec<(Vec<u32>, u32)> = case.want.iter().map(|(w, c)| (w.to_vec(), *c)).collect();
        assert_eq!(got, want, "{}", case.name);
    }
}

#[test]
fn retry_is_kept_whether_wanted_or_not_and_across_finish() {
    for wanted in [0, ALL] {
        let mut scanner = Scanner::new(BIG, wanted);
        assert_eq!(scanner.retry(), None);
        scan(&mut scanner, &[b"retry: 10\nretry: x\n"]);
        assert_eq!(scanner.retry(), Some(10));
        scan(&mut scanner, &[b"retry: 99999999999999999999\n"]);
        assert_eq!(scanner.retry(), Some(u64::MAX));
        scanner.finish();
        assert_eq!(scanner.retry(), Some(u64::MAX));
    }
}

#[test]
fn finish_drops_the_block_and_rearms_the_bom() {
    let mut scanner = Scanner::new(BIG, ALL);
    assert!(!scanner.finish());
    scan(&mut scanner, &[b"data: x\n\n"]);
    assert!(!scanner.finish());
    // A cut-off block: its id is not committed.
    scan(&mut scanner, &[b"id: 5\n"]);
    assert!(scanner.finish());
    assert_eq!(
        scan(&mut scanner, &[b"\xEF\xBB\xBFdata: y\n\n"]),
        [(vec![MESSAGE, 7, 8], NONE)]
    );
    // A cut-off line; and after a CR, the next body's LF is a line end.
    scan(&mut scanner, &[b"data: x\r"]);
    assert!(scanner.finish());
    assert_eq!(
        scan(&mut scanner, &[b"\ndata: y\n\n"]),
        [(vec![MESSAGE, 7, 8], NONE)]
    );
    // Half a BOM, an oversized event.
    scan(&mut scanner, &[b"\xEF\xBB"]);
    assert!(scanner.finish());
    let mut small = Scanner::new(3, 0);
    scan(&mut small, &[b"data: x\n"]);
    assert!(small.finish());
}

#[test]
fn buffered_bytes_as_the_core_counts_them() {
    let mut scanner = Scanner::new(BIG, 0);
    scan(&mut scanner, &[b"data: abc"]);
    assert_eq!(scanner.buffered_bytes(), 9);
    scan(&mut scanner, &[b"\nevent: \xFF\nid"]);
    // data "abc" and its LF, event U+FFFD, the open line "id".
    assert_eq!(scanner.buffered_bytes(), 4 + 3 + 2);
    scan(&mut scanner, &[b"\n\n"]);
    assert_eq!(scanner.buffered_bytes(), 0);
}

#[test]
fn a_short_buffer_is_refused() {
    let mut scanner = Scanner::new(BIG, 0);
    let input = b"data: x\n\n";
    let mut out = vec![0; capacity_for(input.len()) - 1];
    assert_eq!(
        scanner.feed(input, &mut out),
        Err(OutTooSmall {
            needed: capacity_for(input.len())
        })
    );
    assert_eq!(scanner.buffered_bytes(), 0);
    let mut empty: [u32; 0] = [];
    assert!(scanner.feed(b"", &mut empty).is_err());
    assert_eq!(capacity_for(usize::MAX), usize::MAX);
}

#[test]
fn capacity_for_is_the_most_a_feed_writes() {
    // Every input of up to 6 bytes over the bytes that make records, after
    // every kind of state an earlier chunk can leave; a limit of 0 and none.
    let alphabet = [b'\n', b'\r', b':', b'i', b'd', b'x'];
    let before: &[&[u8]] = &[
        b"",
        b"id",
        b":",
        b"id\n",
        b"data: x\n",
        b"x",
        b"\r",
        b"\xEF",
    ];
    let mut reached = false;
    for len in 0..=6u32 {
        for n in 0..alphabet.len().pow(len) {
            let mut input = Vec::new();
            let mut k = n;
            for _ in 0..len {
                input.push(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            for earlier in before {
                for max in [BIG, 0] {
                    let mut scanner = Scanner::new(max, ALL);
                    scan(&mut scanner, &[earlier]);
                    let mut out = vec![0; capacity_for(input.len()) + 16];
                    let fed = scanner.feed(&input, &mut out).unwrap();
                    assert!(
                        fed.words <= capacity_for(input.len()),
                        "{earlier:?} {input:?}"
                    );
                    reached |= fed.words == capacity_for(input.len());
                }
            }
        }
    }
    // And it is reached: the formula is tight.
    assert!(reached);
}

#[test]
fn records_have_their_lengths() {
    for tag in [MESSAGE, DATA, EVENT, ID, RETRY, COMMENT] {
        assert_eq!(words(tag), 3);
    }
    assert_eq!(words(DISPATCH), 2);
    assert_eq!(words(TOO_LARGE), 1);
    assert_eq!(words(0), 0);
    assert_eq!(words(NONE), 0);
}

/// `encoding_rs`'s streaming decoder and the counting one agree on every
/// short byte string over the bytes that matter to UTF-8, split anywhere.
#[test]
fn counts_units_and_bytes_as_the_whatwg_decoder() {
    let alphabet = [
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
        0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF,
    ];
    for len in 0..=4u32 {
        for n in 0..alphabet.len().pow(len) {
            let mut bytes = Vec::new();
            let mut k = n;
            for _ in 0..len {
                bytes.push(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            let whole = String::from_utf8_lossy(&bytes);
            let want = Count {
                units: whole.encode_utf16().count() as u32,
                bytes: whole.len(),
            };
            assert_eq!(measure_line(&bytes), want, "{bytes:x?}");
            let splits = if len <= 3 { 0..=bytes.len() } else { 2..=2 };
            for split in splits {
                let (a, b) = bytes.split_at(split);
                let mut reference = encoding_rs::UTF_8.new_decoder_without_bom_handling();
                let mut decoder = Decoder::IDLE;
                let mut count = Count::ZERO;
                let mut units = 0;
                for (piece, last) in [(a, false), (b, true)] {
                    let mut text = vec![0u16; 16];
                    let (_, _, written, _) = reference.decode_to_utf16(piece, &mut text, last);
                    units += written as u32;
                    decoder.run(piece, &mut count);
                    if last {
                        decoder.flush(&mut count);
                    }
                    assert_eq!(count.units, units, "{bytes:x?} split at {split}");
                }
                assert_eq!(count, want, "{bytes:x?} split at {split}");
            }
        }
    }
}

/// The JavaScript shell spells the wire formats' values as constants of
/// its own; they must be the ones defined here (`record`) and in the crate
/// root (`transition`).
#[test]
fn the_shell_reads_the_same_constants() {
    let shell = include_str!("../../../js/ssekit.js");
    let literal = |name: &str| -> &str {
        let line = format!("\nconst {name} = ");
        let at = shell
            .find(&line)
            .unwrap_or_else(|| panic!("js/ssekit.js has no `const {name}`"));
        let rest = &shell[at + line.len()..];
        &rest[..rest.find(';').unwrap()]
    };
    let constant = |name: &str| -> u32 {
        let literal = literal(name);
        match literal.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
            None => literal.parse().unwrap(),
        }
    };
    use crate::config::*;
    use crate::poll::*;
    use crate::scan::record;
    use crate::transition::*;
    for (name, value) in [
        ("P_REQUEST", P_REQUEST),
        ("P_PAUSED", P_PAUSED),
        ("P_CLOSED", P_CLOSED),
    ] {
        assert_eq!(
            literal(name).parse::<f64>().unwrap(),
            value,
            "{name} in js/ssekit.js"
        );
    }
    for (name, value) in [
        ("MESSAGE", record::MESSAGE),
        ("DATA", record::DATA),
        ("EVENT", record::EVENT),
        ("ID", record::ID),
        ("DISPATCH", record::DISPATCH),
        ("TOO_LARGE", record::TOO_LARGE),
        ("RETRY", record::RETRY),
        ("COMMENT", record::COMMENT),
        ("HAS_DATA", record::HAS_DATA),
        ("HAS_ID", record::HAS_ID),
        ("NONE", record::NONE),
        ("WANT_COMMENTS", record::WANT_COMMENTS),
        ("WANT_RETRY", record::WANT_RETRY),
        ("T_OPEN", T_OPEN),
        ("T_RECONNECT", T_RECONNECT),
        ("T_FAIL", T_FAIL),
        ("T_ENDED", T_ENDED),
        ("CAUSE_STATUS", CAUSE_STATUS),
        ("CAUSE_IDLE", CAUSE_IDLE),
        ("CAUSE_REQUESTED", CAUSE_REQUESTED),
        ("C_INITIAL_MS", C_INITIAL_MS),
        ("C_MAX_MS", C_MAX_MS),
        ("C_MULTIPLIER", C_MULTIPLIER),
        ("C_JITTER", C_JITTER),
        ("C_RESET_AFTER_MS", C_RESET_AFTER_MS),
        ("C_IDLE_MS", C_IDLE_MS),
        ("C_MAX_ATTEMPTS", C_MAX_ATTEMPTS),
        ("C_FLAGS", C_FLAGS),
        ("C_ID_LEN", C_ID_LEN),
        ("C_STATUSES", C_STATUSES),
        ("C_SIZE", C_SIZE),
        ("C_HAS_MAX_MS", C_HAS_MAX_MS),
        ("C_HAS_MAX_ATTEMPTS", C_HAS_MAX_ATTEMPTS),
        ("C_HAS_IDLE", C_HAS_IDLE),
        ("C_CLOSE_ON_END", C_CLOSE_ON_END),
        ("FAIL_STATUS", FAIL_STATUS),
        ("FAIL_CONTENT_TYPE", FAIL_CONTENT_TYPE),
        ("FAIL_GAVE_UP", FAIL_GAVE_UP),
    ] {
        assert_eq!(constant(name), value, "{name} in js/ssekit.js");
    }
}
