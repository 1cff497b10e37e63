//! The `sse2json` example as a user runs it: bytes on stdin, JSON lines out.
//! The expected output in tests/fixtures/mixed.jsonl was written by hand from
//! the spec (each line's reason is in the fixture's shape: BOM, CRLF, CR-only
//! blank line, persisted and reset ids, NUL id, invalid retry, cut-off tail).
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn sse2json_binary() -> PathBuf {
    // Integration tests live in target/<profile>/deps; examples beside it.
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let binary = deps
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("sse2json{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", "sse2json"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    binary
}

fn run(args: &[&str], stdin: &[u8]) -> (String, String, bool) {
    let mut child = Command::new(sse2json_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn prints_what_a_browser_would_dispatch() {
    let expected = String::from_utf8(fixture("mixed.jsonl")).unwrap();
    for args in [
        &[][..],
        &["--chunk", "1"],
        &["--chunk", "2"],
        &["--chunk", "7"],
    ] {
        let (stdout, stderr, ok) = run(args, &fixture("mixed.sse"));
        assert!(ok, "{stderr}");
        assert_eq!(stdout, expected, "with {args:?}");
    }
}

#[test]
fn reports_oversized_events_and_goes_on() {
    let input = format!("data: {}\n\ndata: fine\n\n", "x".repeat(200));
    let (stdout, stderr, ok) = run(&["--max-event-bytes", "100"], input.as_bytes());
    assert!(ok);
    assert_eq!(
        stdout,
        "{\"type\":\"message\",\"data\":\"fine\",\"lastEventId\":\"\"}\n"
    );
    assert!(
        stderr.contains("exceeds the limit of 100 buffered bytes"),
        "{stderr}"
    );
}

#[test]
fn rejects_bad_arguments() {
    let (_, stderr, ok) = run(&["--chunk", "0"], b"");
    assert!(!ok);
    assert!(
        stderr.contains("--chunk needs a positive number"),
        "{stderr}"
    );
}
