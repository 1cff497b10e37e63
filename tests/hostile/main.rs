//! Hostile streams against the native parser, with the heap measured: a
//! 1 GiB line with no newline, data lines with no blank line ever, ten
//! million tiny events, floods of invalid UTF-8, huge field names, absurd
//! `retry` values. Each must end in the expected items and errors (the
//! expectations come from the spec and the parser's documented limit rule,
//! not from running it), never panic, and never hold more heap than the
//! limit allows.
//!
//! Sizes are real (4.5 GiB fed in all), so this runs optimized:
//!
//!     cargo test --release --test hostile
//!     SSEKIT_HOSTILE_JSON=target/hostile.json cargo test --release --test hostile   # + figures
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use ssekit::{Item, ParseError, Parser, DEFAULT_MAX_EVENT_BYTES};

/// The system allocator, counting live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            // A moving realloc holds both blocks for a moment: count that.
            grew(new_size);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;
const CHUNK: usize = 64 * 1024;

/// A part of a stream: bytes once, or a unit repeated up to a length.
enum Part {
    Once(Vec<u8>),
    Repeat(Vec<u8>, u64),
}

fn once(bytes: impl AsRef<[u8]>) -> Part {
    Part::Once(bytes.as_ref().to_vec())
}

fn repeat(unit: impl AsRef<[u8]>, total: u64) -> Part {
    Part::Repeat(unit.as_ref().to_vec(), total)
}

/// What a scenario must produce.
#[derive(Default)]
struct Expect {
    events: u64,
    errors: u64,
    retries: u64,
    /// Data of the last event.
    last_data: Option<String>,
    /// Every event's data length, in bytes.
    data_len: Option<usize>,
    last_retry: Option<u64>,
}

struct Scenario {
    name: &'static str,
    parts: Vec<Part>,
    expect: Expect,
}

#[derive(Default, Debug)]
struct Seen {
    events: u64,
    errors: u64,
    retries: u64,
    last_data: Option<String>,
    bad_data_len: u64,
    last_retry: Option<u64>,
}

fn line_of(unit_len: usize, prefix: &str, fill: u8, end: &str) -> Vec<u8> {
    let mut line = prefix.as_bytes().to_vec();
    line.resize(unit_len - end.len(), fill);
    line.extend_from_slice(end.as_bytes());
    line
}

fn scenarios() -> Vec<Scenario> {
    let after = || once("\n\ndata: after\n\n");
    let recovered = || Expect {
        events: 1,
        errors: 1,
        last_data: Some("after".into()),
        ..Expect::default()
    };
    vec![
        Scenario {
            name: "1 GiB data line, no newline",
            parts: vec![once("data: "), repeat("x", GIB), after()],
            expect: recovered(),
        },
        Scenario {
            name: "1 GiB of 1 KiB data lines, no blank line",
            parts: vec![repeat(line_of(1024, "data: ", b'y', "\n"), GIB), after()],
            expect: recovered(),
        },
        Scenario {
            name: "10 million tiny events",
            parts: vec![repeat("data:x\n\n", 8 * 10_000_000)],
            expect: Expect {
                events: 10_000_000,
                last_data: Some("x".into()),
                data_len: Some(1),
                ..Expect::default()
            },
        },
        Scenario {
            // 4,090 invalid bytes per event, each one U+FFFD (3 bytes).
            name: "256 MiB of invalid UTF-8 in 4 KiB events",
            parts: vec![repeat(line_of(4096, "data: ", 0xFF, "\n\n"), 256 * MIB)],
            expect: Expect {
                events: 256 * MIB / 4096,
                data_len: Some(4088 * 3),
                ..Expect::default()
            },
        },
        Scenario {
            name: "1 GiB of invalid UTF-8, no newline",
            parts: vec![repeat([0x80], GIB), after()],
            expect: recovered(),
        },
        Scenario {
            // Within the limit as raw bytes, 3x over it decoded.
            name: "16 MiB data line of invalid UTF-8",
            parts: vec![once("data: "), repeat([0xC0], 16 * MIB - 16), after()],
            expect: recovered(),
        },
        Scenario {
            name: "16 MiB comment of invalid UTF-8",
            parts: vec![once(":"), repeat([0xFE], 16 * MIB - 16), after()],
            expect: recovered(),
        },
        Scenario {
            name: "256 MiB field name",
            parts: vec![repeat("f", 256 * MIB), once(": value"), after()],
            expect: recovered(),
        },
        Scenario {
            name: "256 MiB event type",
            parts: vec![
                once("event: "),
                repeat("e", 256 * MIB),
                once("\ndata: lost"),
                after(),
            ],
            expect: recovered(),
        },
        Scenario {
            name: "absurd retry values",
            // Digits only: too large saturates (P11); anything else is ignored.
            parts: vec![once(
                "retry: 99999999999999999999999999999\nretry: -1\nretry: 1e9\nretry: 5 \n\
                 retry: 18446744073709551616\ndata: r\n\n",
            )],
            expect: Expect {
                events: 1,
                retries: 2,
                last_retry: Some(u64::MAX),
                last_data: Some("r".into()),
                ..Expect::default()
            },
        },
        Scenario {
            name: "1 GiB retry value",
            parts: vec![once("retry: "), repeat("9", GIB), after()],
            expect: recovered(),
        },
        Scenario {
            name: "64 MiB of retry lines, no blank line",
            parts: vec![repeat("retry: 5\n", 64 * MIB / 9 * 9), once("\n")],
            expect: Expect {
                retries: 64 * MIB / 9,
                last_retry: Some(5),
                ..Expect::default()
            },
        },
    ]
}

struct Outcome {
    name: &'static str,
    fed: u64,
    seconds: f64,
    peak_heap: usize,
    /// Growth of the process's peak resident memory (Linux), if measurable.
    peak_rss: Option<usize>,
    seen: Seen,
}

/// A `kB` line of /proc/self/status, in bytes.
fn proc_status(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kb: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident set size (VmHWM) to the current one, so the
/// next reading is this scenario's own peak. Linux only.
fn reset_peak_rss() -> Option<usize> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    proc_status("VmRSS:")
}

fn run(scenario: &Scenario, limit: usize) -> Outcome {
    let mut parser = Parser::with_max_event_bytes(limit);
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut seen = Seen::default();
    let expected_len = scenario.expect.data_len;
    let mut fed = 0u64;
    let rss_baseline = reset_peak_rss();
    let baseline = LIVE.load(Relaxed);
    PEAK.store(baseline, Relaxed);
    let started = Instant::now();
    let mut on = |item: Result<Item<'_>, ParseError>| match item {
        Ok(Item::Block(event)) => {
            seen.events += 1;
            if expected_len.is_some_and(|n| n != event.data.len()) {
                seen.bad_data_len += 1;
            }
            // Keep only short data: a copy of a big one would be counted.
            if event.data.len() <= 64 {
                seen.last_data = Some(event.data.to_owned());
            }
        }
        Ok(Item::Retry(ms)) => {
            seen.retries += 1;
            seen.last_retry = Some(ms);
        }
        Ok(Item::Id(_) | Item::Comment(_)) => {}
        Err(ParseError::EventTooLarge { limit: reported }) => {
            assert_eq!(reported, limit);
            seen.errors += 1;
        }
        Err(other) => panic!("unexpected error {other:?}"),
    };
    for part in &scenario.parts {
        match part {
            Part::Once(bytes) => {
                parser.feed(bytes, &mut on);
                fed += bytes.len() as u64;
            }
            Part::Repeat(unit, total) => {
                // One chunk of whole units (the unit pattern continues across
                // chunks), fed until `total` bytes.
                chunk.clear();
                while chunk.len() + unit.len() <= CHUNK {
                    chunk.extend_from_slice(unit);
                }
                let mut left = *total;
                let mut offset = 0usize;
                while left > 0 {
                    let take =
                        (chunk.len() - offset).min(usize::try_from(left).unwrap_or(usize::MAX));
                    parser.feed(&chunk[offset..offset + take], &mut on);
                    left -= take as u64;
                    offset = (offset + take) % chunk.len();
                }
                fed += total;
            }
        }
        assert!(
            parser.buffered_bytes() <= limit,
            "{}: buffered past the limit",
            scenario.name
        );
    }
    assert!(
        !parser.finish(),
        "{}: the stream should end on a blank line",
        scenario.name
    );
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss = rss_baseline.and_then(|base| Some(proc_status("VmHWM:")?.saturating_sub(base)));
    drop(parser);
    Outcome {
        name: scenario.name,
        fed,
        seconds,
        peak_heap: PEAK.load(Relaxed) - baseline,
        peak_rss,
        seen,
    }
}

fn main() {
    let limit = DEFAULT_MAX_EVENT_BYTES;
    let mut failures = Vec::new();
    let mut results = Vec::new();
    println!(
        "limit {} MiB (the default), chunks of {} KiB",
        limit >> 20,
        CHUNK >> 10
    );
    for scenario in scenarios() {
        let outcome = run(&scenario, limit);
        let Outcome { seen, .. } = &outcome;
        let e = &scenario.expect;
        let mut problems = Vec::new();
        if seen.events != e.events {
            problems.push(format!("{} events, expected {}", seen.events, e.events));
        }
        if seen.errors != e.errors {
            problems.push(format!("{} errors, expected {}", seen.errors, e.errors));
        }
        if seen.retries != e.retries {
            problems.push(format!("{} retries, expected {}", seen.retries, e.retries));
        }
        if e.last_data.is_some() && seen.last_data != e.last_data {
            problems.push(format!(
                "last data {:?}, expected {:?}",
                seen.last_data, e.last_data
            ));
        }
        if seen.bad_data_len > 0 {
            problems.push(format!(
                "{} events with the wrong data length",
                seen.bad_data_len
            ));
        }
        if e.last_retry.is_some() && seen.last_retry != e.last_retry {
            problems.push(format!(
                "last retry {:?}, expected {:?}",
                seen.last_retry, e.last_retry
            ));
        }
        // Bounded memory. The parser buffers at most `limit` bytes per
        // event, but a line split across chunks is held raw (up to the
        // limit) while it is decoded into a field buffer (up to the limit),
        // and a buffer growing by a moving reallocation briefly holds its
        // old block too (under the limit: capacities are capped at it). The
        // heap count assumes every reallocation moves; resident memory shows
        // what really happened.
        let allowed = 3 * limit;
        if outcome.peak_heap > allowed {
            problems.push(format!(
                "peak heap {} bytes, over {allowed}",
                outcome.peak_heap
            ));
        }
        println!(
            "{:<45} {:>6} MiB in {:>5.2} s: {} events, {} errors, {} retries; peak heap {:.2} MiB ({:.2}x the limit), peak RSS +{:.2} MiB{}",
            outcome.name,
            outcome.fed >> 20,
            outcome.seconds,
            seen.events,
            seen.errors,
            seen.retries,
            outcome.peak_heap as f64 / MIB as f64,
            outcome.peak_heap as f64 / limit as f64,
            outcome.peak_rss.unwrap_or(0) as f64 / MIB as f64,
            if problems.is_empty() { String::new() } else { format!("  FAILED: {}", problems.join("; ")) }
        );
        if !problems.is_empty() {
            failures.push(outcome.name);
        }
        results.push(serde_json::json!({
            "name": outcome.name,
            "fedBytes": outcome.fed,
            "seconds": outcome.seconds,
            "events": seen.events,
            "errors": seen.errors,
            "retries": seen.retries,
            "peakHeapBytes": outcome.peak_heap,
            "peakRssBytes": outcome.peak_rss,
            "limitBytes": limit,
            "ok": problems.is_empty(),
        }));
    }
    if let Ok(path) = std::env::var("SSEKIT_HOSTILE_JSON") {
        std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    }
    if !failures.is_empty() {
        eprintln!("hostile streams failed: {failures:?}");
        std::process::exit(1);
    }
}
