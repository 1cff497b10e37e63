#!/usr/bin/env python3
"""Writes the browser section of BENCHMARKS.md (between the browser-bench
markers) from benches/browser/run.mjs's JSON and build-web.sh's size line.

Usage: python3 scripts/bench-browser-report.py results.json "<size line>" BENCHMARKS.md
"""
import datetime
import json
import os
import re
import sys

from benchmarks import verdict, write_section

results_path, size_line, out = sys.argv[1], sys.argv[2], sys.argv[3]
START, END = "<!-- browser-bench:start -->", "<!-- browser-bench:end -->"
results = json.load(open(results_path))
met = verdict

rows, worst = [], None
for r in results["parsers"]:
    ratio = r["ssekit"] / r["eventsource-parser"]
    worst = ratio if worst is None else min(worst, ratio)
    counts = "" if r["ssekit events"] == r["eventsource-parser events"] else \
        f" (events: {r['ssekit events']} vs {r['eventsource-parser events']})"
    rows.append(f"| {r['name']} | {r['bytes'] / 1024:,.0f} KiB | {r['chunk'] or 'whole'} "
                f"| {r['ssekit']:,.0f} | {r['eventsource-parser']:,.0f} | {ratio:.2f}x{counts} |")

e2e = results["endToEnd"]
eps = e2e["eventsPerSecond"]
vs_native = eps["ssekit"] / eps["native"]
total = int(re.search(r"total (\d+) B gzip", size_line).group(1))

section = "\n".join([
    START,
    "## Browser (`benches/browser/`)",
    "",
    "Command: `./scripts/bench-browser.sh` (builds the web package with `scripts/build-web.sh`, writes the",
    "core fixtures at 1/4 scale with `cargo run --example write_fixtures`, serves them with",
    "`benches/browser/server.mjs`, runs `benches/browser/bench.mjs` in headless Chromium via Playwright, and",
    "writes this section with `scripts/bench-browser-report.py`).",
    "",
    f"Run on {datetime.date.today().isoformat()} in {results.get('browser', 'Chromium')}.",
    "",
    "### Parsers: `SseParser` vs eventsource-parser 4",
    "",
    "Same page, same run, same `Uint8Array` chunks; eventsource-parser gets them through a streaming",
    "`TextDecoder` (it takes strings), as a client reading `response.body` must. Mean over repeated runs (at least 400 ms each), MB/s.",
    "",
    "| fixture | size | chunk | ssekit MB/s | eventsource-parser MB/s | ratio |",
    "|---|---|---|---:|---:|---:|",
    *rows,
    "",
    f"Target ≥ 1.5x eventsource-parser on every fixture: worst {worst:.2f}x — {met(worst >= 1.5)}.",
    "",
    "### End to end: EventSource implementations",
    "",
    f"{e2e['n']:,} events of ~{e2e['size']} B JSON from the local server, time from construction to the last",
    "event, median of 3 alternating rounds:",
    "",
    "| client | events/s |",
    "|---|---:|",
    *[f"| {name} | {value:,.0f} |" for name, value in eps.items()],
    "",
    f"Target: at least the native EventSource's rate: ssekit is {vs_native:.2f}x native — {met(vs_native >= 1.0)}.",
    "",
    "### Size",
    "",
    f"`scripts/build-web.sh`: {size_line.replace('web package: ', '')}. Target ≤ 30 KB gzip: "
    f"{total / 1000:.1f} KB — {met(total <= 30_000)}.",
    END,
])
write_section(out, START, END, section)
