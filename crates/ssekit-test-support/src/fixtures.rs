use std::fmt::Write;

/// A named stream and the chunk size it is meant to be fed in.
pub struct Fixture {
    /// Its name in test messages, benchmark reports and file names.
    pub name: &'static str,
    /// The stream.
    pub bytes: Vec<u8>,
    /// The chunk size it is fed in; `None`: in one piece.
    pub chunk: Option<usize>,
    /// Mostly data bytes (a throughput fixture rather than a framing one).
    pub data_heavy: bool,
}

impl Fixture {
    /// The file the fixture is written to: `<name>.sse`.
    pub fn file_name(&self) -> String {
        format!("{}.sse", self.name)
    }
}

/// A JSON list of the fixtures, for benchmarks that read them from files
/// ([`Fixture::file_name`]): name, file, chunk size (`null`: whole) and
/// whether each is data-heavy, one fixture a line.
pub fn manifest_json(fixtures: &[Fixture]) -> String {
    let mut manifest = String::from("[\n");
    for (i, fixture) in fixtures.iter().enumerate() {
        let chunk = fixture.chunk.map_or("null".to_string(), |c| c.to_string());
        let comma = if i == 0 { "" } else { ",\n" };
        write!(
            manifest,
            "{comma}  {{\"name\": \"{}\", \"file\": \"{}\", \"chunk\": {chunk}, \"dataHeavy\": {}}}",
            fixture.name,
            fixture.file_name(),
            fixture.data_heavy
        )
        .unwrap();
    }
    manifest.push_str("\n]\n");
    manifest
}

const WORDS: [&str; 8] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
];

fn sentence(i: usize, words: usize) -> String {
    (0..words)
        .map(|w| WORDS[(i + w * 3) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// `events` events of one ~100-byte data line each.
pub fn data_only(events: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        writeln!(s, "data: {}\n", sentence(i, 16)).unwrap();
    }
    s.into_bytes()
}

/// `events` events with an `event` type and one data line each.
pub fn named(events: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        writeln!(
            s,
            "event: {}\ndata: {}\n",
            WORDS[i % WORDS.len()],
            sentence(i, 8)
        )
        .unwrap();
    }
    s.into_bytes()
}

/// `events` events with an `id`, a type and one data line each.
pub fn identified(events: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        writeln!(s, "id: {i}\nevent: update\ndata: {}\n", sentence(i, 8)).unwrap();
    }
    s.into_bytes()
}

/// `events` events of multibyte text (accents, CJK, emoji, Greek).
pub fn multibyte(events: usize) -> Vec<u8> {
    const TEXT: [&str; 4] = [
        "café crème",
        "日本語のテキスト",
        "emoji 😀🎉🚀",
        "Ελληνικά κείμενα",
    ];
    let mut s = String::new();
    for i in 0..events {
        writeln!(s, "data: {} {}\n", TEXT[i % 4], TEXT[(i + 1) % 4]).unwrap();
    }
    s.into_bytes()
}

/// Mostly heartbeat comments, an event now and then.
pub fn heartbeat(events: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        s.push_str(if i % 10 == 9 {
            "data: tick\n\n"
        } else {
            ": keep-alive\n\n"
        });
    }
    s.into_bytes()
}

/// Events of `lines` data lines each.
pub fn large_multiline(events: usize, lines: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        for l in 0..lines {
            writeln!(s, "data: {}", sentence(i + l, 12)).unwrap();
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Streaming chat-completion deltas, as LLM APIs send them.
pub fn openai_deltas(events: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..events {
        writeln!(
            s,
            "data: {{\"id\":\"chatcmpl-9x8y7z\",\"object\":\"chat.completion.chunk\",\"created\":1732300000,\
             \"model\":\"gpt-4o-2024-08-06\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{} \"}},\
             \"logprobs\":null,\"finish_reason\":null}}]}}\n",
            WORDS[i % WORDS.len()]
        )
        .unwrap();
    }
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

/// One event whose single data line is `len` bytes long.
pub fn long_line(len: usize) -> Vec<u8> {
    let mut s = String::with_capacity(len + 16);
    s.push_str("data: ");
    while s.len() < len {
        s.push_str("0123456789abcdef");
    }
    s.push_str("\n\n");
    s.into_bytes()
}

/// One event of about `bytes` bytes of data in 1 KiB lines.
pub fn huge_event(bytes: usize) -> Vec<u8> {
    let line = format!("data: {}\n", "x".repeat(1018));
    let mut s = String::with_capacity(bytes + 16);
    while s.len() + line.len() <= bytes {
        s.push_str(&line);
    }
    s.push('\n');
    s.into_bytes()
}

/// The benchmark suite; `scale` 1 is the benchmark size, the tests use less.
pub fn suite(scale: f64) -> Vec<Fixture> {
    let n = |count: usize| ((count as f64 * scale) as usize).max(2);
    vec![
        Fixture {
            name: "data-only",
            bytes: data_only(n(10_000)),
            chunk: None,
            data_heavy: true,
        },
        Fixture {
            name: "named",
            bytes: named(n(10_000)),
            chunk: None,
            data_heavy: false,
        },
        Fixture {
            name: "identified",
            bytes: identified(n(10_000)),
            chunk: None,
            data_heavy: false,
        },
        Fixture {
            name: "multibyte",
            bytes: multibyte(n(10_000)),
            chunk: None,
            data_heavy: true,
        },
        Fixture {
            name: "heartbeat",
            bytes: heartbeat(n(10_000)),
            chunk: None,
            data_heavy: false,
        },
        Fixture {
            name: "small-chunk",
            bytes: data_only(n(2_000)),
            chunk: Some(16),
            data_heavy: false,
        },
        Fixture {
            name: "large-multiline",
            bytes: large_multiline(n(200), 100),
            chunk: None,
            data_heavy: true,
        },
        Fixture {
            name: "openai-deltas",
            bytes: openai_deltas(n(10_000)),
            chunk: None,
            data_heavy: false,
        },
        Fixture {
            name: "long-line-4b",
            bytes: long_line(n(256 * 1024)),
            chunk: Some(4),
            data_heavy: true,
        },
        Fixture {
            name: "huge-event-1",
            bytes: huge_event(n(8 * 1024 * 1024)),
            chunk: None,
            data_heavy: true,
        },
        Fixture {
            name: "huge-event-4b",
            bytes: huge_event(n(8 * 1024 * 1024)),
            chunk: Some(4),
            data_heavy: true,
        },
    ]
}
