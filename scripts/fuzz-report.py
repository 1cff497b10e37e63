"""Writes the fuzzing section of RELIABILITY.md from scripts/fuzz.sh's summary.

    python3 scripts/fuzz-report.py target/fuzz/summary.tsv RELIABILITY.md
"""
import datetime
import subprocess
import sys

from benchmarks import write_section

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
seconds = rows[0][1] if rows else "?"

lines = [
    "<!-- fuzz:start -->",
    "## Fuzzing (`fuzz/`)",
    "",
    f"Command: `./scripts/fuzz.sh {seconds} --report` (cargo-fuzz 0.13.2, libFuzzer, {rustc} with",
    "`RUSTC_BOOTSTRAP=1`, no sanitizer: the crate forbids unsafe code). The test command runs",
    "`./scripts/fuzz.sh 30`. Seeds: `fuzz/src/bin/seed_corpus.rs` writes them from the test fixtures",
    "(the benchmark-shaped streams, `tests/fixtures/mixed.sse`, spec corner cases) under several chunkings",
    "and limits, and the events in them plus field-injection attempts for the encoder. Crashes are moved to",
    "`fuzz/regressions/`, which `tests/fuzz_regressions.rs` replays in `cargo test`.",
    "",
    f"Run on {datetime.date.today().isoformat()} on this 2-core machine, one target after the other.",
    "",
    "| target | checks | seconds | executions | executions/s | crashes | corpus after |",
    "|---|---|---:|---:|---:|---:|---:|",
]
what = {
    "parse_chunked": "any bytes, chunking, limit: no panic, never over the limit, chunked = whole = the reference parser",
    "encode_roundtrip": "any field strings: round-trip, or refused for a CR/LF/NUL really in them",
}
for target, secs, execs, crashes, corpus in rows:
    rate = int(execs) / max(int(secs), 1)
    lines.append(f"| `{target}` | {what.get(target, '')} | {secs} | {int(execs):,} | {rate:,.0f} | {crashes} | {corpus} |")
lines += ["", "<!-- fuzz:end -->"]
write_section(sys.argv[2], "<!-- fuzz:start -->", "<!-- fuzz:end -->", "\n".join(lines))
