//! Fuzzing, the full reconnect soak and the hostile streams with figures,
//! and the RELIABILITY.md sections they write.

use std::fs;
use std::path::Path;

use crate::build;
use crate::cmd::{create_dir, npm_install, npm_script, read_text, say, write_text, Cmd, NODE22};
use crate::json::{self, Json};
use crate::report::{
    chromium_version, fixed, grouped, grouped_json, rustc_version, today, workerd_version,
    write_section, Paths, RELIABILITY,
};
use crate::setup;
use crate::{Error, Result};

// ---------------------------------------------------------------- fuzzing

const FUZZ_TARGETS: [&str; 2] = ["parse_chunked", "encode_roundtrip"];

/// `fuzz [SECONDS] [--report]`.
pub fn fuzz_command(args: &[String]) -> Result<()> {
    let mut seconds = 30;
    let mut report = false;
    for arg in args {
        match arg.as_str() {
            "--report" => report = true,
            number => {
                seconds = number.parse().map_err(|_| {
                    Error::usage(format!("`fuzz` takes seconds and --report, not `{number}`"))
                })?
            }
        }
    }
    setup::ensure_build_tools()?;
    fuzz(seconds)?;
    if report {
        fuzz_report(&Paths::default_results())?;
    }
    Ok(())
}

/// Runs each cargo-fuzz target for `seconds` from the seed corpus (written
/// from the test fixtures by fuzz/src/bin/seed_corpus.rs) plus the corpus
/// earlier runs grew in fuzz/corpus/. A crash is moved to
/// fuzz/regressions/<target>/, where tests/fuzz_regressions.rs replays it,
/// and the run fails. Each target's figures go to target/fuzz/summary.tsv.
///
/// Stable Rust: RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags, and no
/// sanitizer is needed because ssekit forbids unsafe code (a panic or a
/// failed check is what the fuzzer looks for).
pub fn fuzz(seconds: u64) -> Result<()> {
    Cmd::new("cargo")
        .args([
            "run",
            "--quiet",
            "--locked",
            "--release",
            "--manifest-path",
            "fuzz/Cargo.toml",
        ])
        .args(["--bin", "seed_corpus", "--", "fuzz/seeds"])
        .run()?;
    create_dir("target/fuzz")?;
    let mut summary = String::new();
    let mut failures = Vec::new();
    for target in FUZZ_TARGETS {
        say(format_args!("==> fuzzing {target} for {seconds}s"));
        let corpus_dir = format!("fuzz/corpus/{target}");
        let artifacts = format!("fuzz/artifacts/{target}");
        let regressions = format!("fuzz/regressions/{target}");
        for dir in [&corpus_dir, &artifacts, &regressions] {
            create_dir(dir)?;
        }
        let log = format!("target/fuzz/{target}.log");
        let outcome = Cmd::new("cargo")
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                "--fuzz-dir",
                "fuzz",
                target,
            ])
            .arg(&corpus_dir)
            .arg(format!("fuzz/seeds/{target}"))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args([
                "-max_len=16384",
                "-timeout=10",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
            ])
            .output_to(&log)?
            .run();
        let text = String::from_utf8_lossy(&fs::read(&log).unwrap_or_default()).into_owned();
        for line in text.lines().filter(|line| is_progress(line)) {
            say(line);
        }
        let executions = text
            .lines()
            .filter_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
            .map(|n| n.trim().to_owned())
            .next_back()
            .unwrap_or_else(|| "0".to_owned());
        let corpus = count_files(Path::new(&corpus_dir));
        let mut crashes = 0;
        let mut found: Vec<_> = fs::read_dir(&artifacts)
            .map_err(|e| Error::new(format!("listing {artifacts}: {e}")))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.is_file()
                    && !path
                        .file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with('.'))
            })
            .collect();
        found.sort();
        for artifact in found {
            crashes += 1;
            let name = artifact.file_name().expect("a file has a name");
            let moved = Path::new(&regressions).join(name);
            fs::rename(&artifact, &moved).map_err(|e| {
                Error::new(format!(
                    "moving {} to {regressions}/: {e}",
                    artifact.display()
                ))
            })?;
            say(format_args!(
                "    crash: {}, moved to {regressions}/ (commit it with the fix)",
                artifact.display()
            ));
        }
        if let Err(error) = outcome {
            if crashes == 0 {
                let lines: Vec<&str> = text.lines().collect();
                for line in &lines[lines.len().saturating_sub(30)..] {
                    say(line);
                }
                say(format_args!(
                    "    cargo fuzz failed without an artifact: {error}"
                ));
                failures.push(format!("{target}: cargo fuzz failed without an artifact"));
            }
        }
        if crashes > 0 {
            failures.push(format!(
                "{target}: {crashes} crashes, moved to {regressions}/"
            ));
        }
        summary.push_str(&format!(
            "{target}\t{seconds}\t{executions}\t{crashes}\t{corpus}\n"
        ));
        write_text("target/fuzz/summary.tsv", &summary)?;
        say(format_args!(
            "    {target}: {executions} executions in {seconds}s, {crashes} crashes, corpus {corpus} inputs"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "fuzzing failed: {}",
            failures.join("; ")
        )))
    }
}

/// libFuzzer's lines worth showing: the seed corpus read, the start and the
/// end (`#123 INITED …`, `#456 DONE …`).
fn is_progress(line: &str) -> bool {
    if line.starts_with("INFO: seed corpus") {
        return true;
    }
    let Some(rest) = line.strip_prefix('#') else {
        return false;
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return false;
    }
    let after = &rest[digits..];
    let word = after.trim_start();
    word.len() < after.len() && (word.starts_with("INITED") || word.starts_with("DONE"))
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|entry| entry.ok())
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => count_files(&entry.path()),
            Ok(kind) if kind.is_file() => 1,
            _ => 0,
        })
        .sum()
}

pub fn fuzz_report(paths: &Paths) -> Result<()> {
    const START: &str = "<!-- fuzz:start -->";
    const END: &str = "<!-- fuzz:end -->";
    let summary = read_text(paths.result("fuzz/summary.tsv"))?;
    let rows: Vec<Vec<&str>> = summary
        .split_inclusive('\n')
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.trim_end_matches('\n').split('\t').collect())
        .collect();
    let seconds = rows
        .first()
        .and_then(|row| row.get(1))
        .copied()
        .unwrap_or("?");
    let rustc = rustc_version();
    let mut lines: Vec<String> = vec![
        START.into(),
        "## Fuzzing (`fuzz/`)".into(),
        "".into(),
        format!(
            "Command: `cargo xtask fuzz {seconds} --report` (cargo-fuzz 0.13.2, libFuzzer, {rustc} with"
        ),
        "`RUSTC_BOOTSTRAP=1`, no sanitizer: the crate forbids unsafe code). The test command runs".into(),
        "`cargo xtask fuzz 30`. Seeds: `fuzz/src/bin/seed_corpus.rs` writes them from the test fixtures".into(),
        "(the benchmark-shaped streams, `tests/fixtures/mixed.sse`, spec corner cases) under several chunkings".into(),
        "and limits, and the events in them plus field-injection attempts for the encoder. Crashes are moved to".into(),
        "`fuzz/regressions/`, which `tests/fuzz_regressions.rs` replays in `cargo test`.".into(),
        "".into(),
        format!("Run on {} on this 2-core machine, one target after the other.", today()),
        "".into(),
        "| target | checks | seconds | executions | executions/s | crashes | corpus after |".into(),
        "|---|---|---:|---:|---:|---:|---:|".into(),
    ];
    for row in &rows {
        let [target, secs, execs, crashes, corpus] = row[..] else {
            return Err(Error::new(format!(
                "{}: a row of {} fields, not 5: {row:?}",
                paths.result("fuzz/summary.tsv").display(),
                row.len()
            )));
        };
        let number = |field: &str| -> Result<i64> {
            field
                .trim()
                .parse()
                .map_err(|_| Error::new(format!("fuzz summary: `{field}` is not a number")))
        };
        let executions = number(execs)?;
        let rate = executions as f64 / number(secs)?.max(1) as f64;
        let checks = match target {
            "parse_chunked" => "any bytes, chunking, limit: no panic, never over the limit, chunked = whole = the reference parser",
            "encode_roundtrip" => "any field strings: round-trip, or refused for a CR/LF/NUL really in them",
            _ => "",
        };
        lines.push(format!(
            "| `{target}` | {checks} | {secs} | {} | {} | {crashes} | {corpus} |",
            crate::report::grouped_int(executions),
            grouped(rate, 0)
        ));
    }
    lines.extend(["".into(), END.into()]);
    write_section(&paths.out(RELIABILITY), START, END, &lines.join("\n"))
}

// ---------------------------------------------------------------- soak

/// The full reconnect soak (a report, not part of the test command, which
/// runs a bounded one): 1,000 forced disconnects of mixed kinds between the
/// ssekit client in headless Chromium and the hub's Durable Object in
/// workerd, then 10,000 connect/disconnect cycles. Fails if any check fails.
/// SOAK_DISCONNECTS, SOAK_CYCLES and SOAK_SEED override 1000, 10000 and 1.
pub fn soak() -> Result<()> {
    setup::run()?;
    npm_install()?;
    build::web("pkg")?;
    build::worker(false)?;
    create_dir("target/soak")?;
    let knob =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    npm_script("soak:run")
        .arg(knob("SOAK_DISCONNECTS", "1000"))
        .arg(knob("SOAK_CYCLES", "10000"))
        .arg(knob("SOAK_SEED", "1"))
        .stdout_to("target/soak/report.json")?
        .run()?;
    soak_report(&Paths::default_results())
}

pub fn soak_report(paths: &Paths) -> Result<()> {
    const START: &str = "<!-- soak:start -->";
    const END: &str = "<!-- soak:end -->";
    let r = json::read(paths.result("soak/report.json"))?;
    let workerd = workerd_version();
    let chromium = chromium_version();
    let d = r.get("delays")?;
    let num = |value: &Json, key: &str| -> Result<f64> { value.get(key)?.num() };
    let yes_no = |flag: &Json| if flag.truthy() { "yes" } else { "no" };
    let mut by_expected: Vec<(i64, &Json)> = Vec::new();
    for (ms, n) in d.get("byExpectedMs")?.entries()? {
        let ms_number = ms
            .parse()
            .map_err(|_| Error::new(format!("soak report: delay `{ms}` is not a number of ms")))?;
        by_expected.push((ms_number, n));
    }
    by_expected.sort_by_key(|(ms, _)| *ms);
    let by_expected = by_expected
        .iter()
        .map(|(ms, n)| format!("{ms} ms: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let checks: Vec<(String, String, bool)> = vec![
        (
            "events lost".into(),
            r.get("lost")?.to_string(),
            num(&r, "lost")? == 0.0,
        ),
        (
            "events duplicated".into(),
            r.get("duplicates")?.to_string(),
            num(&r, "duplicates")? == 0.0,
        ),
        (
            "partial events dispatched (data not matching the id)".into(),
            r.get("partial")?.to_string(),
            num(&r, "partial")? == 0.0,
        ),
        (
            "received in publish order".into(),
            yes_no(r.get("inOrder")?).into(),
            r.get("inOrder")?.truthy(),
        ),
        (
            "received / published".into(),
            format!(
                "{} / {}",
                grouped_json(r.get("received")?)?,
                grouped_json(r.get("published")?)?
            ),
            num(&r, "received")? == num(&r, "published")?,
        ),
        (
            "every reconnect sent Last-Event-ID".into(),
            yes_no(r.get("resumedWithLastEventId")?).into(),
            r.get("resumedWithLastEventId")?.truthy(),
        ),
        (
            "reconnects earlier than the policy's delay".into(),
            format!("{} of {}", d.get("early")?, d.get("checked")?),
            num(d, "early")? == 0.0,
        ),
        (
            "reconnects checked per expected delay".into(),
            by_expected,
            true,
        ),
        (
            "reconnect lateness over the policy, p50 / p99".into(),
            format!(
                "{} ms / {} ms",
                d.get("latenessP50")?,
                d.get("latenessP99")?
            ),
            num(d, "latenessP99")? < 1000.0,
        ),
        (
            "hub subscribers after the soak".into(),
            r.get("subscribersAfterSoak")?.to_string(),
            num(&r, "subscribersAfterSoak")? == 0.0,
        ),
        (
            "hub subscribers while 16 are held (the count is live)".into(),
            r.get("subscribersWhileHeld")?.to_string(),
            num(&r, "subscribersWhileHeld")? == 16.0,
        ),
        (
            format!(
                "hub subscribers after {} connect/disconnect cycles",
                grouped_json(r.get("cycles")?)?
            ),
            r.get("subscribersAfterCycles")?.to_string(),
            num(&r, "subscribersAfterCycles")? == 0.0,
        ),
    ];
    let kinds = r
        .get("byKind")?
        .entries()?
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect::<Vec<_>>()
        .join(", ");

    let mut lines: Vec<String> = vec![
        START.into(),
        "## Reconnect soak (`tests/soak/`)".into(),
        "".into(),
        "Command: `cargo xtask soak` (builds the web package and the hub worker, runs `tests/soak/run.mjs`".into(),
        "under Node 22, writes this section). The test command runs the same soak".into(),
        "bounded (`tests/soak/soak.test.mjs`: 200 disconnects, 2,000 cycles).".into(),
        "".into(),
        format!(
            "Run on {} with {chromium} and {workerd} (Miniflare), seed {}.",
            today(),
            r.get("seed")?
        ),
        "".into(),
        "Setup: the ssekit `EventSource` in headless Chromium subscribes to a channel of the hub's Durable Object".into(),
        "through a fault-injecting proxy (`tests/soak/fault-proxy.mjs`) while a publisher POSTs numbered events".into(),
        "(data = the id the hub assigns) every 4 ms. The proxy breaks streams after 1–3 whole events: a clean".into(),
        "end of the body (eof), a socket destroyed between events (cut-between) or halfway through one".into(),
        "(cut-mid-event), headers then a destroyed socket (drop), or runs of 1–5 503s instead of the stream".into(),
        "(status-503, listed in `retry.statuses`). Policy: `initialMs` 20, `multiplier` 2, `maxMs` 160, no jitter,".into(),
        "`resetAfterMs` 0 (every open starts the count over; these streams last well under the default 60 s). A".into(),
        "reconnect's expected delay is `initialMs × multiplier^(n−1)` capped at `maxMs`, n = failed attempts since".into(),
        "the last open; it is measured from the moment the proxy struck to the next request's arrival.".into(),
        "".into(),
        format!(
            "{} forced disconnects ({kinds}) in {} s; {} cycles (16 at a time, each waits for the first bytes then aborts) in {} s,",
            grouped_json(r.get("disconnects")?)?,
            fixed(num(&r, "soakSeconds")?, 0),
            grouped_json(r.get("cycles")?)?,
            fixed(num(&r, "cyclesSeconds")?, 1),
        ),
        format!(
            "subscriber count back to zero {} ms after the last one.",
            r.get("settleMs")?
        ),
        "".into(),
        "| check | result | |".into(),
        "|---|---|---|".into(),
    ];
    for (name, value, passed) in &checks {
        lines.push(format!(
            "| {name} | {value} | {} |",
            if *passed { "ok" } else { "**FAILED**" }
        ));
    }
    lines.extend(["".into(), END.into()]);
    write_section(&paths.out(RELIABILITY), START, END, &lines.join("\n"))?;
    let failed: Vec<&str> = checks
        .iter()
        .filter(|(_, _, passed)| !passed)
        .map(|(name, _, _)| name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "the soak failed: {}",
            failed.join("; ")
        )))
    }
}

// ---------------------------------------------------------------- hostile

/// Hostile-stream figures (the same runs the test command makes): the
/// native parser with its heap and resident memory measured
/// (tests/hostile/main.rs), and the web build in headless Chromium,
/// SseParser and EventSource, with the wasm memory measured
/// (tests/hostile/browser.test.mjs).
pub fn hostile() -> Result<()> {
    setup::run()?;
    npm_install()?;
    create_dir("target/hostile")?;
    Cmd::new("cargo")
        .env("SSEKIT_HOSTILE_JSON", "target/hostile/native.json")
        .args(["test", "--locked", "--release", "--test", "hostile"])
        .run()?;
    say(build::web("pkg")?);
    Cmd::new(NODE22)
        .env("SSEKIT_HOSTILE_JSON", "target/hostile/browser.json")
        .env("SSEKIT_PKG", "pkg")
        .args(["--test", "tests/hostile/browser.test.mjs"])
        .run()?;
    hostile_report(&Paths::default_results())
}

const MIB: f64 = (1 << 20) as f64;

fn mib(bytes: f64) -> String {
    format!("{} MiB", grouped(bytes / MIB, 1))
}

pub fn hostile_report(paths: &Paths) -> Result<()> {
    const START: &str = "<!-- hostile:start -->";
    const END: &str = "<!-- hostile:end -->";
    let native = json::read(paths.result("hostile/native.json"))?;
    let browser = json::read(paths.result("hostile/browser.json"))?;
    let native = native.array()?;
    let rustc = rustc_version();
    let chromium = chromium_version();
    let limit = native
        .first()
        .ok_or_else(|| Error::new("no native hostile-stream figures"))?
        .get("limitBytes")?
        .num()?;
    let mut lines: Vec<String> = vec![
        START.into(),
        "## Hostile streams (`tests/hostile/`)".into(),
        "".into(),
        "Command: `cargo xtask hostile` (runs `cargo test --release --test hostile` and".into(),
        "`tests/hostile/browser.test.mjs`, as the test command does, with figures written out, then writes".into(),
        "this section).".into(),
        "".into(),
        format!("Run on {} on this 2-core machine; {rustc}; {chromium}.", today()),
        format!(
            "Event size limit: {} (the default). Each stream ends with a blank line and `data: after`,",
            mib(limit)
        ),
        "so recovering means: exactly one `EventTooLarge`/`SseParseError`, then the `after` event.".into(),
        "".into(),
        "### Native (`tests/hostile/main.rs`, 64 KiB chunks)".into(),
        "".into(),
        "Peak heap: a counting global allocator's high-water mark over the scenario, counting every".into(),
        "reallocation as if it moved (old and new block both live). Peak RSS: growth of VmHWM after resetting".into(),
        "it (`/proc/self/clear_refs`); glibc reuses pages freed by earlier scenarios, so later rows can show 0.".into(),
        "".into(),
        "| stream | fed | time | events | errors | retries | peak heap | × limit | peak RSS |".into(),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|".into(),
    ];
    let mut worst = f64::MIN;
    for r in native {
        let peak = r.get("peakHeapBytes")?.num()?;
        worst = worst.max(peak);
        let rss = match r.find("peakRssBytes") {
            Some(Json::Null) | None => "n/a".to_owned(),
            Some(bytes) => mib(bytes.num()?),
        };
        lines.push(format!(
            "| {} | {} | {} s | {} | {} | {} | {} | {} | {rss} |",
            r.get("name")?,
            mib(r.get("fedBytes")?.num()?),
            fixed(r.get("seconds")?.num()?, 2),
            grouped_json(r.get("events")?)?,
            r.get("errors")?,
            grouped_json(r.get("retries")?)?,
            mib(peak),
            fixed(peak / limit, 2),
        ));
    }
    lines.extend([
        "".into(),
        format!(
            "Worst peak heap: {} = {}× the limit; the test fails above 3×. Why it can go",
            mib(worst),
            fixed(worst / limit, 2)
        ),
        "over 1×: a line split across chunks is held raw while it is decoded into a field buffer (both up to the".into(),
        "limit), and a growing buffer's old block is live during a moving reallocation. Buffer capacity never".into(),
        "exceeds the limit, and buffers give back anything over 64 KiB when an event ends.".into(),
        "".into(),
        "### Browser (`tests/hostile/browser.test.mjs`, headless Chromium, the web build)".into(),
        "".into(),
        "Wasm memory never shrinks, so its size after a scenario is the peak so far (the instance is shared by".into(),
        "the scenarios, in this order). The test fails above 3× the limit + 8 MiB.".into(),
        "".into(),
        "| API | stream | time | events | parse errors | wasm memory before → after |".into(),
        "|---|---|---:|---:|---:|---:|".into(),
    ]);
    let mut peak = f64::MIN;
    for r in browser.get("parser")?.array()? {
        let after = r.get("memoryAfter")?.num()?;
        peak = peak.max(after);
        lines.push(format!(
            "| `SseParser.feed` | {} | {} s | {} | {} | {} → {} |",
            r.get("name")?,
            fixed(r.get("seconds")?.num()?, 2),
            grouped_json(r.get("events")?)?,
            r.get("errors")?,
            mib(r.get("memoryBefore")?.num()?),
            mib(after),
        ));
    }
    for r in browser.get("eventSource")?.array()? {
        let after = r.get("memoryAfter")?.num()?;
        peak = peak.max(after);
        lines.push(format!(
            "| `EventSource` (network) | {} | {} s | {} | {} | {} → {} |",
            r.get("name")?,
            fixed(r.get("seconds")?.num()?, 2),
            grouped_json(r.get("messages")?)?,
            r.get("parseErrors")?,
            mib(r.get("memoryBefore")?.num()?),
            mib(after),
        ));
    }
    lines.extend([
        "".into(),
        format!(
            "Peak wasm memory: {} = {}× the limit (it includes the module's own data",
            mib(peak),
            fixed(peak / limit, 2)
        ),
        "and the allocator's free lists). Absurd `retry` values saturate at 2^64 − 1 (a JS number shows".into(),
        "2^64); the EventSource sleeps such delays in steps of the longest timer (2^31 − 1 ms) instead of".into(),
        "letting the timer overflow and fire at once (`an_absurd_server_retry_waits_instead_of_reconnecting_at_once`).".into(),
        "".into(),
        END.into(),
    ]);
    write_section(&paths.out(RELIABILITY), START, END, &lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_progress_lines() {
        assert!(is_progress(
            "INFO: seed corpus: files: 120 min: 1b max: 9000b"
        ));
        assert!(is_progress("#2\tINITED cov: 10 ft: 10 corp: 1/1b"));
        assert!(is_progress("#123456 DONE   cov: 10"));
        assert!(!is_progress("#123456\tNEW    cov: 10"));
        assert!(!is_progress("#DONE"));
        assert!(!is_progress("#12DONE"));
    }
}
