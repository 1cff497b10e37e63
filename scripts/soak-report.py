"""Writes the soak section of RELIABILITY.md from tests/soak/run.mjs output,
and exits non-zero if any of the soak's checks failed.

    python3 scripts/soak-report.py target/soak/report.json RELIABILITY.md
"""
import datetime
import json
import subprocess
import sys

from benchmarks import write_section

r = json.load(open(sys.argv[1]))
out = sys.argv[2]

workerd = subprocess.run(
    ["node_modules/.bin/workerd", "--version"], capture_output=True, text=True
).stdout.strip()
chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
d = r["delays"]
checks = [
    ("events lost", r["lost"], r["lost"] == 0),
    ("events duplicated", r["duplicates"], r["duplicates"] == 0),
    ("partial events dispatched (data not matching the id)", r["partial"], r["partial"] == 0),
    ("received in publish order", "yes" if r["inOrder"] else "no", r["inOrder"]),
    ("received / published", f'{r["received"]:,} / {r["published"]:,}', r["received"] == r["published"]),
    ("every reconnect sent Last-Event-ID", "yes" if r["resumedWithLastEventId"] else "no", r["resumedWithLastEventId"]),
    ("reconnects earlier than the policy's delay", f'{d["early"]} of {d["checked"]}', d["early"] == 0),
    ("reconnects checked per expected delay", ", ".join(f"{ms} ms: {n}" for ms, n in sorted(d["byExpectedMs"].items(), key=lambda kv: int(kv[0]))), True),
    ("reconnect lateness over the policy, p50 / p99", f'{d["latenessP50"]} ms / {d["latenessP99"]} ms', d["latenessP99"] < 1000),
    ("hub subscribers after the soak", r["subscribersAfterSoak"], r["subscribersAfterSoak"] == 0),
    ("hub subscribers while 16 are held (the count is live)", r["subscribersWhileHeld"], r["subscribersWhileHeld"] == 16),
    (f'hub subscribers after {r["cycles"]:,} connect/disconnect cycles', r["subscribersAfterCycles"], r["subscribersAfterCycles"] == 0),
]
ok = all(passed for _, _, passed in checks)
kinds = ", ".join(f"{kind} {n}" for kind, n in r["byKind"].items())

lines = [
    "<!-- soak:start -->",
    "## Reconnect soak (`tests/soak/`)",
    "",
    "Command: `./scripts/soak.sh` (builds the web package and the hub worker, runs `tests/soak/run.mjs`",
    "under Node 22, writes this section with `scripts/soak-report.py`). The test command runs the same soak",
    "bounded (`tests/soak/soak.test.mjs`: 200 disconnects, 2,000 cycles).",
    "",
    f"Run on {datetime.date.today().isoformat()} with {chromium} and {workerd} (Miniflare), seed {r['seed']}.",
    "",
    "Setup: the ssekit `EventSource` in headless Chromium subscribes to a channel of the hub's Durable Object",
    "through a fault-injecting proxy (`tests/soak/fault-proxy.mjs`) while a publisher POSTs numbered events",
    "(data = the id the hub assigns) every 4 ms. The proxy breaks streams after 1–3 whole events: a clean",
    "end of the body (eof), a socket destroyed between events (cut-between) or halfway through one",
    "(cut-mid-event), headers then a destroyed socket (drop), or runs of 1–5 503s instead of the stream",
    "(status-503, listed in `retry.statuses`). Policy: `initialMs` 20, `multiplier` 2, `maxMs` 160, no jitter. A reconnect's",
    "expected delay is `initialMs × multiplier^(n−1)` capped at `maxMs`, n = failed attempts since the last",
    "open; it is measured from the moment the proxy struck to the next request's arrival.",
    "",
    f'{r["disconnects"]:,} forced disconnects ({kinds}) in {r["soakSeconds"]:.0f} s; '
    f'{r["cycles"]:,} cycles (16 at a time, each waits for the first bytes then aborts) in {r["cyclesSeconds"]:.1f} s,',
    f'subscriber count back to zero {r["settleMs"]} ms after the last one.',
    "",
    "| check | result | |",
    "|---|---|---|",
]
for name, value, passed in checks:
    lines.append(f"| {name} | {value} | {'ok' if passed else '**FAILED**'} |")
lines += ["", "<!-- soak:end -->"]
write_section(out, "<!-- soak:start -->", "<!-- soak:end -->", "\n".join(lines))
sys.exit(0 if ok else 1)
