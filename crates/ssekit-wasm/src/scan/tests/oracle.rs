//! The scanner and the shell against the core, the oracle: `ssekit::Parser`
//! and `ssekit::Dispatcher` fed the same chunks must show the application
//! the same messages (type, data, last event ID), the same errors in the
//! same order, the same comments and retries when wanted, the same buffered
//! bytes after every chunk, and the same `finish`.

use ssekit::{Dispatcher, Item, Parser};

use super::shell::{Seen, Shell};
use crate::scan::record::{WANT_COMMENTS, WANT_RETRY};
use crate::scan::Scanner;

use ssekit_test_support::fixtures;

/// A body's chunks; `None` stands for `finish` (a reconnect).
type Script<'a> = [Option<&'a [u8]>];

struct Run {
    seen: Vec<Seen>,
    buffered: Vec<usize>,
    last_event_id: String,
    retry: Option<u64>,
}

fn core(script: &Script, max: usize, wanted: u32) -> Run {
    let mut parser = Parser::with_max_event_bytes(max);
    let mut dispatcher = Dispatcher::new();
    let mut seen = Vec::new();
    let mut buffered = Vec::new();
    for step in script {
        let Some(chunk) = step else {
            seen.push(Seen::Finish(parser.finish()));
            continue;
        };
        parser.feed(chunk, |item| match item {
            Err(_) => seen.push(Seen::TooLarge),
            Ok(Item::Comment(text)) => {
                if wanted & WANT_COMMENTS != 0 {
                    seen.push(Seen::Comment(text.into()));
                }
            }
            Ok(item) => {
                if let (Item::Retry(ms), true) = (&item, wanted & WANT_RETRY != 0) {
                    seen.push(Seen::Retry(*ms));
                }
                if let Some(message) = dispatcher.dispatch(item) {
                    seen.push(Seen::Message {
                        event_type: message.event_type.into(),
                        data: message.data.into(),
                        last_event_id: message.last_event_id.into(),
                    });
                }
            }
        });
        buffered.push(parser.buffered_bytes());
    }
    seen.push(Seen::Finish(parser.finish()));
    Run {
        seen,
        buffered,
        last_event_id: dispatcher.last_event_id().into(),
        retry: dispatcher.reconnection_time(),
    }
}

fn scanned(script: &Script, max: usize, wanted: u32) -> Run {
    let mut scanner = Scanner::new(max, wanted);
    let mut shell = Shell::new();
    let mut buffered = Vec::new();
    for step in script {
        match step {
            Some(chunk) => {
                shell.feed(&mut scanner, chunk);
                buffered.push(scanner.buffered_bytes());
            }
            None => shell.finish(&mut scanner),
        }
    }
    shell.finish(&mut scanner);
    Run {
        seen: shell.seen,
        buffered,
        last_event_id: String::from_utf16(&shell.last_event_id).unwrap(),
        retry: scanner.retry(),
    }
}

/// Compares the two on `script`.
fn check(script: &Script, max: usize, wanted: u32) {
    let want = core(script, max, wanted);
    let got = scanned(script, max, wanted);
    let show = || {
        let chunks: Vec<_> = script
            .iter()
            .map(|c| c.map(String::from_utf8_lossy))
            .collect();
        format!("chunks {chunks:?}, limit {max}, wanted {wanted}")
    };
    assert_eq!(got.seen, want.seen, "{}", show());
    assert_eq!(got.buffered, want.buffered, "buffered bytes, {}", show());
    assert_eq!(got.last_event_id, want.last_event_id, "{}", show());
    assert_eq!(got.retry, want.retry, "{}", show());
}

/// `stream` cut at `cuts` (ascending).
fn cut<'a>(stream: &'a [u8], cuts: &[usize]) -> Vec<Option<&'a [u8]>> {
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut at = 0;
    for &c in cuts {
        chunks.push(Some(&stream[at..c]));
        at = c;
    }
    chunks.push(Some(&stream[at..]));
    chunks
}

const ALL: u32 = WANT_COMMENTS | WANT_RETRY;

/// Streams where the boundary is easy to get wrong.
const TRICKY: &[&[u8]] = &[
    b"data: hello\n\n",
    b"data: a\r\ndata: b\r\n\r\nid: 7\r\n\r\n",
    b"data: a\rdata: b\r\rdata:c\r\n\r",
    b"\xEF\xBB\xBFdata: bom\n\n\xEF\xBB\xBFdata: no field\n\n",
    b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n",
    b"\xEF\xBBdata: not a bom\n\n",
    b"\xEFdata: x\n\n\xEF\n\n",
    "data: caf\u{e9} \u{65e5}\u{672c} \u{1f600}\u{1f389}\nevent: \u{e9}\u{1f600}\nid: \u{fc}\u{1f600}\n\n"
        .as_bytes(),
    "id: \u{1f600}\u{1f600}\n\ndata: \u{1f600}\n\n: \u{1f600} c\n\n".as_bytes(),
    b"data: \xFF\xFE x\n\ndata: \xE0\x80\xAF\n\ndata: \xED\xA0\x80z\n\n",
    b"data: \xF0\x9F\x98\n\ndata: \xF0\x9F\x98x\n\ndata: \xC3\n\n\xC3data\n\n",
    b"data: \xF4\x90\x80\x80\n\ndata: \xF0\x8F\xBF\xBF\n\n\xFF: c\xFF\n:\xF0\n\n",
    b"id: 1\nevent: x\nretry: 100\ndata: y\n\nid\n\ndata: after an empty id\n\n",
    b"id: a\0b\ndata: nul\n\nid: 5\nid: \0\n\nretry: 12x\nretry:\nretry: 99999999999999999999999\nretry:000000000000000000000001\n\n",
    b"data\n\ndata:\n\ndata:\ndata:\n\ndata\ndata\n\n",
    b": hi\n:\n: \n::x\n:  two\n\n",
    b"foo: bar\ndata :x\nDATA: x\nevent\ndata: x\n\nevent: only\n\nid: 9\n\ndata: z\n\n",
    b"data:  two spaces\ndata:\ttab\n\nevent:  t\ndata: x\n\n",
    b"retry: 5\nretry: 6\n\n: end",
    b"data: unterminated",
    b"data: x\n\nid: 3\ndata: cut",
    b"event: e\nid: 3\ndata: 1\ndata: 2\n\n",
    b"retry:1234567890123\nretry: 1234567\nretry:123456\nretry :1\nretryx:1\n\n",
    b"id:\xF0\x9F\x98\x80x\0\n\nid:12345678\0\n\nid:1234567\xFF\n\n",
    b"data: a\n: c\n\ndata: b\nretry: 1\n\nevent: e\n\ndata: c\n\n",
    b"ev\nevent\nevent:\nid:\nidd: x\nretr\ndat\ndata\n\n\n\n",
    // Decoding makes a value longer than its line (limit 17).
    b"data: x\nevent:\xFF\xFF\xFF\xFF\xFFa\n\ndata: x\nid:\xFF\xFF\xFF\xFF\xFFa\n\n",
    b"data: x\n:\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\n\ndata: x\ndata:\xFF\xFF\xFF\xFF\xFF\n\n",
];

/// Event size limits: none, the default, and tiny ones.
const LIMITS: &[usize] = &[usize::MAX, ssekit::DEFAULT_MAX_EVENT_BYTES, 17, 5, 1, 0];

#[test]
fn tricky_streams_whole_and_split_once() {
    for (s, stream) in TRICKY.iter().enumerate() {
        for (l, &max) in LIMITS.iter().enumerate() {
            let wanted = [ALL, 0, WANT_COMMENTS, WANT_RETRY][(s + l) % 4];
            check(&cut(stream, &[]), max, wanted);
            for i in 0..=stream.len() {
                check(&cut(stream, &[i]), max, wanted);
            }
            // One byte at a time.
            let bytes: Vec<usize> = (1..stream.len()).collect();
            check(&cut(stream, &bytes), max, wanted);
        }
    }
}

#[test]
fn tricky_streams_split_twice() {
    for (s, stream) in TRICKY.iter().enumerate() {
        for (l, &max) in LIMITS.iter().enumerate() {
            let wanted = [0, ALL][(s + l) % 2];
            for i in 0..=stream.len() {
                for j in i..=stream.len() {
                    check(&cut(stream, &[i, j]), max, wanted);
                }
            }
        }
    }
}

#[test]
fn tricky_streams_across_a_reconnect() {
    // The same stream twice with `finish` between: BOM, CR and the
    // decoder are reset, a cut-off block is dropped.
    for stream in TRICKY {
        for i in 0..=stream.len() {
            let mut script = cut(stream, &[i]);
            script.push(None);
            script.extend(cut(stream, &[stream.len() - i]));
            check(&script, usize::MAX, ALL);
            check(&script, 5, 0);
        }
    }
}

#[test]
fn fixtures() {
    for fixture in fixtures::suite(0.01) {
        let bytes = &fixture.bytes;
        for &max in &[ssekit::DEFAULT_MAX_EVENT_BYTES, 4096, 100, 17] {
            let mut chunkings: Vec<Vec<usize>> = vec![Vec::new()];
            for size in [fixture.chunk.unwrap_or(4096), 1000, 7] {
                chunkings.push(
                    (1..)
                        .map(|k| k * size)
                        .take_while(|&c| c < bytes.len())
                        .collect(),
                );
            }
            for cuts in &chunkings {
                check(&cut(bytes, cuts), max, ALL);
            }
        }
    }
}

/// xorshift64: reproducible random streams without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_streams() {
    let pieces: &[&[u8]] = &[
        b"data:",
        b"data: ",
        b"data",
        b"event: ",
        b"event:",
        b"id: ",
        b"id:",
        b"id",
        b"retry: ",
        b"retry:",
        b":",
        b": ",
        b" ",
        b"x",
        b"ab",
        b"7",
        b"42",
        b"\n",
        b"\n",
        b"\n",
        b"\r",
        b"\r\n",
        b"\0",
        b"\xEF\xBB\xBF",
        b"\xEF",
        b"\xEF\xBB",
        "\u{e9}".as_bytes(),
        "\u{65e5}".as_bytes(),
        "\u{1f600}".as_bytes(),
        b"\xF0\x9F",
        b"\x98\x80",
        b"\xC3",
        b"\xA9",
        b"\xFF",
        b"\xE0\x80",
        b"\xED\xA0",
        b"\xFF\xFF\xFF\xFF",
        b"\xF4\x90",
        b"0123456789",
        b"datadata",
        b"xxxxxxxxxxxxxxxxxxxxxxxx",
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for round in 0..100_000 {
        let mut stream = Vec::new();
        if rng.below(3) == 0 {
            stream.extend_from_slice(b"\xEF\xBB\xBF");
        }
        for _ in 0..1 + rng.below(30) {
            stream.extend_from_slice(pieces[rng.below(pieces.len())]);
        }
        let mut script = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let size = match rng.below(4) {
                0 => 1,
                1 => 1 + rng.below(4),
                2 => 1 + rng.below(16),
                _ => stream.len(),
            };
            let end = (at + size).min(stream.len());
            script.push(Some(&stream[at..end]));
            // Now and then an empty chunk, or a reconnect.
            match rng.below(40) {
                0 => script.push(Some(&[][..])),
                1 => script.push(None),
                _ => {}
            }
            at = end;
        }
        let max = match rng.below(4) {
            0 => usize::MAX,
            1 => 64,
            _ => rng.below(24),
        };
        let wanted = [0, ALL, WANT_COMMENTS, WANT_RETRY][round % 4];
        check(&script, max, wanted);
    }
}
