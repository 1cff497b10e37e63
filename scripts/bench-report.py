#!/usr/bin/env python3
"""Turns criterion's results for `benches/parse.rs` into the core section of
BENCHMARKS.md (between the core-bench markers), with MB/s, ratios against the
peer and the memchr anchor, the linearity figure, and a verdict per target.

Usage: python3 scripts/bench-report.py [target/criterion] [BENCHMARKS.md] [manifest.json]

The fixtures (names, chunk sizes, which are data-heavy, in order) come from
the manifest `cargo run --example write_fixtures` writes from the Rust
fixtures, not from a list kept here.
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

from benchmarks import verdict, write_section

CRITERION = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
OUT = sys.argv[2] if len(sys.argv) > 2 else "BENCHMARKS.md"
MANIFEST = sys.argv[3] if len(sys.argv) > 3 else "target/bench-fixtures/manifest.json"
START, END = "<!-- core-bench:start -->", "<!-- core-bench:end -->"

with open(MANIFEST) as f:
    FIXTURES = [(entry["name"], entry["chunk"], entry["dataHeavy"]) for entry in json.load(f)]
IMPLS = ["ssekit", "eventsource-stream", "memchr-scan"]


def result(fixture, impl):
    base = os.path.join(CRITERION, fixture, impl, "new")
    with open(os.path.join(base, "estimates.json")) as f:
        mean_ns = json.load(f)["mean"]["point_estimate"]
    with open(os.path.join(base, "benchmark.json")) as f:
        size = json.load(f)["throughput"]["Bytes"]
    return mean_ns, size


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}; {rustc}"


def main():
    rows, verdicts = [], []
    times = {}
    worst_peer, worst_anchor = None, None
    for name, chunk, heavy in FIXTURES:
        r = {impl: result(name, impl) for impl in IMPLS}
        size = r["ssekit"][1]
        mbps = {impl: size / (ns / 1e9) / 1e6 for impl, (ns, _) in r.items()}
        times[name] = r["ssekit"][0]
        vs_peer = mbps["ssekit"] / mbps["eventsource-stream"]
        vs_anchor = mbps["ssekit"] / mbps["memchr-scan"]
        worst_peer = min(worst_peer or vs_peer, vs_peer)
        if heavy:
            worst_anchor = min(worst_anchor or vs_anchor, vs_anchor)
        rows.append(
            f"| {name} | {size / 1024:,.0f} KiB | {chunk or 'whole'} | {'yes' if heavy else ''} "
            f"| {mbps['ssekit']:,.0f} | {mbps['eventsource-stream']:,.0f} | {mbps['memchr-scan']:,.0f} "
            f"| {vs_peer:,.1f}x | {vs_anchor * 100:,.0f} % |"
        )
    linearity = times["huge-event-4b"] / times["huge-event-1"]
    # Per-byte cost in 4-byte chunks at 256 KiB and at 8 MiB: equal costs mean
    # no re-scanning of the pending line (a quadratic parser would be ~32x).
    long_ns_per_byte = times["long-line-4b"] / result("long-line-4b", "ssekit")[1]
    huge_ns_per_byte = times["huge-event-4b"] / result("huge-event-4b", "ssekit")[1]
    floor = result("huge-event-4b", "memchr-scan")[0] / times["huge-event-1"]
    met = verdict
    verdicts.append(f"- ≥ 5x eventsource-stream on every fixture: worst {worst_peer:.1f}x — {met(worst_peer >= 5)}")
    verdicts.append(
        f"- ≥ 50 % of the memchr scan on data-heavy fixtures: worst {worst_anchor * 100:.0f} % — {met(worst_anchor >= 0.5)}"
    )
    verdicts.append(
        f"- 8 MiB event in 4-byte chunks ≤ ~2x the same event in one chunk: {linearity:.1f}x — {met(linearity <= 2.2)}"
    )
    notes = [
        "",
        "Linearity: in 4-byte chunks ssekit costs "
        f"{long_ns_per_byte:.2f} ns/byte on the 256 KiB line and {huge_ns_per_byte:.2f} ns/byte on the 8 MiB "
        "event (32x the bytes): the cost per byte does not grow with the size of the pending line. The "
        "4-byte/1-chunk ratio is a per-call cost, not a re-scan: the memchr scan alone over the same "
        f"4-byte chunks takes {floor:.1f}x ssekit's whole-chunk time, before any parsing or copying.",
        "",
        "What limits the memchr ratio: the scan only reads; a parser must also validate UTF-8 and copy every",
        "data byte into the event's data buffer (multi-line data must be joined), and pays a fixed cost per",
        "line (field dispatch, limit check) and per event (dispatch, callback). On fixtures with 1 KiB lines",
        "the scan runs at memory bandwidth, skipping whole cache lines, while the copy alone is a full",
        "read-and-write pass; on multibyte text the validation leaves its ASCII fast path. In 4-byte chunks",
        "each `feed` call costs a few nanoseconds of fixed work (state checks, a memchr call, a 4-byte",
        "append) on top of the scan's own per-call cost.",
    ]
    section = "\n".join([
        START,
        "## Core parser (`benches/parse.rs`)",
        "",
        "Command: `./scripts/bench-core.sh` (runs `cargo bench --bench parse`, then",
        "`python3 scripts/bench-report.py`, which writes this section).",
        "",
        f"Run on {datetime.date.today().isoformat()}: {machine()}.",
        "",
        "Each implementation gets the fixture in the same chunks. `ssekit` is `Parser` + `Dispatcher`",
        "(what an EventSource does, touching every message); `eventsource-stream` 0.2 is the peer, driven",
        "by `futures::executor::block_on`; `memchr-scan` visits every LF in the same chunks and nothing else (the",
        "physical limit). MB/s are 10^6 bytes of stream per second (criterion mean).",
        "",
        "| fixture | size | chunk | data-heavy | ssekit MB/s | eventsource-stream MB/s | memchr scan MB/s | ssekit / peer | ssekit / memchr |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Targets:",
        *verdicts,
        *notes,
        END,
    ])
    write_section(OUT, START, END, section)

if __name__ == "__main__":
    main()
