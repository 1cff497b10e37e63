"""Writes the edge section of BENCHMARKS.md from benches/edge/run.mjs output,
or its shards section from the output of the shard matrix (EDGE_SHARD_MATRIX=1).

    python3 scripts/bench-edge-report.py target/bench-edge/results.json BENCHMARKS.md
    python3 scripts/bench-edge-report.py target/bench-edge/shards.json BENCHMARKS.md
"""
import datetime
import json
import statistics
import subprocess
import sys

from benchmarks import verdict, write_section

results = json.load(open(sys.argv[1]))
out = sys.argv[2]


workerd = subprocess.run(
    ["node_modules/.bin/workerd", "--version"], capture_output=True, text=True
).stdout.strip()


def shards_section():
    runs = results["shardMatrix"]
    lines = [
        "<!-- edge-shards-bench:start -->",
        "### Sharded channels (`SHARDS`)",
        "",
        "Command: `./scripts/bench-edge-shards.sh` (`benches/edge/run.mjs` with `EDGE_SHARD_MATRIX=1`; long).",
        "",
        f"Run on {datetime.date.today().isoformat()} in {workerd} (Miniflare, loopback, this 2-core machine): one",
        "workerd process runs the front Workers, the root and every shard, so shards share its threads",
        f"here. Same method as the fan-out table above: {results['publishes']} publishes 50 ms apart, latency",
        "from just before the publish to the subscriber's read, workerd CPU (user + system) during the",
        "publishes divided by the deliveries.",
        "",
        "| subscribers | FANOUT | SHARDS | deliveries | p50 ms | p99 ms | max ms | workerd CPU µs/delivery | client CPU µs/delivery |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in sorted(runs, key=lambda r: (r["subscribers"], r["fanout"], r["shards"])):
        lines.append(
            f"| {run['subscribers']:,} | {run['fanout']} | {run['shards']} | {run['deliveries']:,} of {run['expected']:,} "
            f"| {run['p50']:.1f} | {run['p99']:.1f} | {run['max']:.1f} | {run['workerdMicrosPerDelivery']:.0f} "
            f"| {run['clientMicrosPerDelivery']:.0f} |"
        )
    lines.append("<!-- edge-shards-bench:end -->")
    write_section(out, "<!-- edge-shards-bench:start -->", "<!-- edge-shards-bench:end -->", "\n".join(lines))


if "shardMatrix" in results:
    shards_section()
    sys.exit(0)


def median(label, key):
    return statistics.median(r[key] for r in results["rounds"] if r["label"] == label)


ssekit_rate, hono_rate = median("ssekit", "eventsPerSecond"), median("hono", "eventsPerSecond")
ssekit_cpu, hono_cpu = median("ssekit", "cpuMicrosPerEvent"), median("hono", "cpuMicrosPerEvent")
rounds = len(results["rounds"]) // 4
fan = results["fanOut"]
streams = results["fanOutStreams"]
floor = results["fanOutFloor"]

lines = [
    "<!-- edge-bench:start -->",
    "## Edge (`benches/edge/`)",
    "",
    "Command: `./scripts/bench-edge.sh` (builds the hub worker with `scripts/build-worker.sh` and the hono",
    "worker with esbuild, runs `benches/edge/run.mjs` under Node 22 against both in workerd through",
    "Miniflare, and writes this section with `scripts/bench-edge-report.py`).",
    "",
    f"Run on {datetime.date.today().isoformat()} in {workerd} (Miniflare, loopback, this 2-core machine).",
    "",
    "### One stream: `SseResponse` (Rust, hub `GET /ticks`) vs hono `streamSSE`",
    "",
    f"{results['events']:,} events (`event: tick`, id and data `n`), every one ready at once, read to the end by",
    f"one Node client; median of {rounds} alternating rounds. CPU is the workerd process's user + system",
    "time over the run (from /proc) divided by the events.",
    "",
    "| worker | events/s | CPU µs/event |",
    "|---|---:|---:|",
    f"| ssekit `SseResponse` | {ssekit_rate:,.0f} | {ssekit_cpu:.2f} |",
    f"| hono `streamSSE` | {hono_rate:,.0f} | {hono_cpu:.2f} |",
    "",
    f"Target: cost per event ≤ hono's: {ssekit_cpu:.2f} vs {hono_cpu:.2f} µs ({hono_cpu / ssekit_cpu:.0f}x less) — "
    + verdict(ssekit_cpu <= hono_cpu) + ".",
    "",
    f"A live feed: {results['liveEvents']:,} events one millisecond apart (a timer in the worker produces each;",
    "nothing is ready together, so nothing is batched), same rounds:",
    "",
    "| worker | events/s | CPU µs/event |",
    "|---|---:|---:|",
    f"| ssekit `SseResponse` | {median('ssekit live', 'eventsPerSecond'):,.0f} | {median('ssekit live', 'cpuMicrosPerEvent'):.2f} |",
    f"| hono `streamSSE` | {median('hono live', 'eventsPerSecond'):,.0f} | {median('hono live', 'cpuMicrosPerEvent'):.2f} |",
    "",
    f"Target: cost per event ≤ hono's, live: {median('ssekit live', 'cpuMicrosPerEvent'):.2f} vs {median('hono live', 'cpuMicrosPerEvent'):.2f} µs — "
    + verdict(median('ssekit live', 'cpuMicrosPerEvent') <= median('hono live', 'cpuMicrosPerEvent')) + ".",
    "",
    "### Fan-out: one hub channel (Durable Object) to many subscribers",
    "",
    f"{fan['subscribers']:,} subscribers on loopback (one Node process, undici), {fan['publishes']} publishes 50 ms",
    "apart, each carrying its send time; latency is from just before the publish request to the",
    "subscriber's read of the event. CPU is workerd's (user + system, from /proc) during the publishes,",
    "divided by the deliveries. The floor is `benches/edge/fanout-floor.js`: the same channel in plain",
    "JavaScript, no storage, one shared chunk enqueued into every stream, in the same workerd.",
    "",
    "| channel | deliveries | p50 ms | p99 ms | max ms | workerd CPU µs/delivery | client CPU µs/delivery |",
    "|---|---:|---:|---:|---:|---:|---:|",
] + [
    f"| {run['label']} | {run['deliveries']:,} of {run['expected']:,} | {run['p50']:.1f} | {run['p99']:.1f} | {run['max']:.1f} "
    f"| {run['workerdMicrosPerDelivery']:.0f} | {run['clientMicrosPerDelivery']:.0f} |"
    for run in (fan, streams, floor)
] + [
    "",
    f"Target p99 ≤ 50 ms at {fan['subscribers']:,} subscribers (the default fan-out, websockets): {fan['p99']:.1f} ms — "
    + verdict(fan["p99"] <= 50 and fan["deliveries"] == fan["expected"])
    + f"; streams: {streams['p99']:.1f} ms — " + verdict(streams["p99"] <= 50 and streams["deliveries"] == streams["expected"]) + ".",
    f"Target workerd CPU ≤ 20 µs per delivery: websockets {fan['workerdMicrosPerDelivery']:.0f} µs — "
    + verdict(fan["workerdMicrosPerDelivery"] <= 20)
    + f"; streams {streams['workerdMicrosPerDelivery']:.0f} µs — " + verdict(streams["workerdMicrosPerDelivery"] <= 20)
    + f" (the plain-JavaScript floor: {floor['workerdMicrosPerDelivery']:.0f} µs).",
    "<!-- edge-bench:end -->",
]
write_section(out, "<!-- edge-bench:start -->", "<!-- edge-bench:end -->", "\n".join(lines))
