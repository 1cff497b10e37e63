//! Fuzzing, the full reconnect soak and the hostile streams with figures;
//! the script beside each run writes its section of RELIABILITY.md.

use std::fs;

use anyhow::{anyhow, Result};

use crate::build;
use crate::cmd::{create_dir, npm_install, npm_script, say, usage, write_text, Cmd, NODE22};
use crate::report;
use crate::setup;

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
                    usage(format!("`fuzz` takes seconds and --report, not `{number}`"))
                })?
            }
        }
    }
    setup::ensure_build_tools()?;
    fuzz(seconds)?;
    if report {
        report::write("fuzz", &[])?;
    }
    Ok(())
}

/// Runs each cargo-fuzz target for `seconds` from the seed corpus (written
/// from the test fixtures by fuzz/src/bin/seed_corpus.rs) plus the corpus
/// earlier runs grew in fuzz/corpus/. A crash lands in
/// fuzz/regressions/<target>/ (libFuzzer's artifact prefix), where
/// tests/fuzz_regressions.rs replays it, and the run fails. Each target's
/// figures go to target/fuzz/summary.tsv.
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
        let regressions = format!("fuzz/regressions/{target}");
        create_dir(&corpus_dir)?;
        create_dir(&regressions)?;
        let before = count_files(&regressions);
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
            .args([&corpus_dir, &format!("fuzz/seeds/{target}"), "--"])
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-artifact_prefix={regressions}/"))
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
        let corpus = count_files(&corpus_dir);
        let crashes = count_files(&regressions) - before;
        if crashes > 0 {
            failures.push(format!(
                "{target}: {crashes} crashes in {regressions}/ (commit them with the fix)"
            ));
        } else if let Err(error) = outcome {
            let lines: Vec<&str> = text.lines().collect();
            for line in &lines[lines.len().saturating_sub(30)..] {
                say(line);
            }
            failures.push(format!(
                "{target}: cargo fuzz failed without an artifact: {error}"
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
        Err(anyhow!("fuzzing failed: {}", failures.join("; ")))
    }
}

/// libFuzzer's lines worth showing: the seed corpus read, the start and the
/// end (`#123 INITED …`, `#456 DONE …`).
fn is_progress(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('#') else {
        return line.starts_with("INFO: seed corpus");
    };
    let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let word = after.trim_start();
    after.len() < rest.len()
        && word.len() < after.len()
        && (word.starts_with("INITED") || word.starts_with("DONE"))
}

/// The files in a corpus or regressions directory (flat, as libFuzzer
/// keeps them); none when it does not exist.
fn count_files(dir: &str) -> usize {
    fs::read_dir(dir).map_or(0, |entries| entries.count())
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
    report::write("soak", &[])
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
    report::write("hostile", &[])
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
