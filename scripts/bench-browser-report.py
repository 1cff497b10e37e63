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

rows, worst_whole, worst_small = [], None, None
for r in results["parsers"]:
    ratio = r["ssekit"] / r["eventsource-parser"]
    if r["chunk"]:
        worst_small = ratio if worst_small is None else min(worst_small, ratio)
    else:
        worst_whole = ratio if worst_whole is None else min(worst_whole, ratio)
    counts = "" if r["ssekit events"] == r["eventsource-parser events"] else \
        f" (events: {r['ssekit events']} vs {r['eventsource-parser events']})"
    rows.append(f"| {r['name']} | {r['bytes'] / 1024:,.0f} KiB | {r['chunk'] or 'whole'} "
                f"| {r['ssekit']:,.0f} | {r['eventsource-parser']:,.0f} | {ratio:.2f}x{counts} |")

e2e = results["endToEnd"]
eps = e2e["eventsPerSecond"]
vs_native = eps["ssekit"] / eps["native"]
vs_fes = eps["ssekit events()"] / eps["fetch-event-source"]
total = int(re.search(r"total (\d+) B gzip", size_line).group(1))

section = "\n".join([
    START,
    "## Browser (`benches/browser/`)",
    "",
    "Command: `./scripts/bench-browser.sh` (builds the package into `pkg/` with `scripts/build-web.sh`, writes the",
    "core fixtures at 1/4 scale with `cargo run --example write_fixtures`, serves them with",
    "`benches/browser/server.mjs`, runs `benches/browser/bench.mjs` in headless Chromium via Playwright, and",
    "writes this section with `scripts/bench-browser-report.py`).",
    "",
    f"Run on {datetime.date.today().isoformat()} in {results.get('browser', 'Chromium')}.",
    "",
    "### Parsers: `SseParser` vs eventsource-parser 4",
    "",
    "Same page, same run, same `Uint8Array` chunks; eventsource-parser gets them through a streaming",
    "`TextDecoder` (it takes strings), as a client reading `response.body` must. Best of 4 alternating rounds, each the mean over repeated runs of at least 300 ms, MB/s.",
    "",
    "| fixture | size | chunk | ssekit MB/s | eventsource-parser MB/s | ratio |",
    "|---|---|---|---:|---:|---:|",
    *rows,
    "",
    f"Target ≥ 1.0x eventsource-parser on every whole-chunk fixture: worst {worst_whole:.2f}x — {met(worst_whole >= 1.0)}.",
    f"Target ≥ 2x on the 4- and 16-byte-chunk fixtures: worst {worst_small:.2f}x — {met(worst_small >= 2.0)}.",
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
    f"Target ≥ 1.5x the native EventSource: ssekit `EventSource` is {vs_native:.2f}x native — {met(vs_native >= 1.5)}.",
    f"Target ≥ 1.0x fetch-event-source through `events()`: {vs_fes:.2f}x — {met(vs_fes >= 1.0)}.",
    "",
    "### Size",
    "",
    f"`scripts/build-web.sh` ({size_line}). Target ≤ 11 KB gzip (11,264 B): "
    f"{total:,} B — {met(total <= 11 * 1024)}.",
    END,
])
write_section(out, START, END, section)
