// The BENCHMARKS.md section writers beside their benches: each section built
// from made-up figures, and the core report run as a script on a criterion
// directory of its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { browserSection, totalGzip } from "./browser/report.mjs";
import { n, runtimeSection } from "./browser/runtime-report.mjs";
import { coreSection } from "./core-report.mjs";
import { edgeSection, medianOf } from "./edge/report.mjs";
import { shardsSection, sortedRuns } from "./edge/shards-report.mjs";
import { packageSection } from "./package-report.mjs";

const date = "2026-01-02";

test("the size line total is read", () => {
  const line = "browser entry: wasm 16887 B raw, 8380 B gzip; JS 8644 B gzip; total 17024 B gzip";
  assert.equal(totalGzip(line), 17024);
  assert.equal(totalGzip("total x B gzip"), undefined);
  // The first `total N B gzip`, past any `total` that is not one.
  assert.equal(totalGzip("total x; total 5 B raw; total 12 B gzip; total 13 B gzip"), 12);
});

// Criterion results: ns per iteration of each implementation, 1,000,000 bytes.
const coreFixtures = [
  { name: "data-only", chunk: null, dataHeavy: true },
  { name: "heartbeat", chunk: null, dataHeavy: false },
  { name: "long-line-4b", chunk: 4, dataHeavy: true },
  { name: "huge-event-1", chunk: null, dataHeavy: true },
  { name: "huge-event-4b", chunk: 4, dataHeavy: true },
];
const coreNs = {
  "data-only": [1000, 8000, 500],
  heartbeat: [1000, 4000, 250],
  "long-line-4b": [3000, 30000, 1000],
  "huge-event-1": [1000, 10000, 400],
  "huge-event-4b": [2000, 20000, 1500],
};
const coreResult = (fixture, implementation) => ({
  ns: coreNs[fixture][["ssekit", "eventsource-stream", "memchr-scan"].indexOf(implementation)],
  bytes: 1e6,
});

test("core: MB/s, ratios and the worst of each against its target", () => {
  const lines = coreSection(coreFixtures, coreResult, { date, machine: "a CPU" });
  assert.equal(lines[6], "Run on 2026-01-02: a CPU.");
  assert.ok(lines.includes("| data-only | 977 KiB | whole | yes | 1,000,000 | 125,000 | 2,000,000 | 8.0x | 50 % |"));
  assert.ok(lines.includes("| long-line-4b | 977 KiB | 4 | yes | 333,333 | 33,333 | 1,000,000 | 10.0x | 33 % |"));
  // heartbeat is the worst against the peer, not data-heavy, so not the worst against memchr.
  assert.ok(lines.includes("- ≥ 5x eventsource-stream on every fixture: worst 4.0x — **missed**"));
  assert.ok(lines.includes("- ≥ 50 % of the memchr scan on data-heavy fixtures: worst 33 % — **missed**"));
  assert.ok(lines.includes("- 8 MiB event in 4-byte chunks ≤ ~2x the same event in one chunk: 2.0x — **met**"));
  assert.match(lines.find((line) => line.startsWith("Linearity")), /costs 0\.00 ns\/byte .* takes 1\.5x ssekit's/);
  assert.deepEqual([lines[0], lines.at(-1)], ["<!-- core-bench:start -->", "<!-- core-bench:end -->"]);
});

test("core: the fixtures the figures need must be listed", () => {
  const withoutHuge = coreFixtures.filter((fixture) => fixture.name !== "huge-event-1");
  assert.throws(() => coreSection(withoutHuge, coreResult, { date, machine: "" }), /no `huge-event-1`/);
  const noneHeavy = coreFixtures.map((fixture) => ({ ...fixture, dataHeavy: false }));
  assert.throws(() => coreSection(noneHeavy, coreResult, { date, machine: "" }), /data-heavy/);
});

test("core: the script reads DIR/criterion and DIR/criterion/fixtures.json", () => {
  const dir = mkdtempSync(join(tmpdir(), "core-report-"));
  for (const [fixture, times] of Object.entries(coreNs)) {
    times.forEach((ns, i) => {
      const base = join(dir, "criterion", fixture, ["ssekit", "eventsource-stream", "memchr-scan"][i], "new");
      mkdirSync(base, { recursive: true });
      writeFileSync(join(base, "estimates.json"), JSON.stringify({ mean: { point_estimate: ns } }));
      writeFileSync(join(base, "benchmark.json"), JSON.stringify({ throughput: { Bytes: 1e6 } }));
    });
  }
  writeFileSync(join(dir, "criterion", "fixtures.json"), JSON.stringify(coreFixtures));
  const out = join(dir, "OUT.md");
  const script = fileURLToPath(new URL("./core-report.mjs", import.meta.url));
  execFileSync(process.execPath, [script, "--in", dir, "--out", out], { stdio: "ignore" });
  const written = readFileSync(out, "utf8");
  assert.ok(written.startsWith("# Benchmarks\n\n<!-- core-bench:start -->\n"));
  assert.ok(written.includes("| huge-event-4b | 977 KiB | 4 | yes | 500,000 | 50,000 | 666,667 | 10.0x | 75 % |"));
});

const parser = (name, chunk, ssekit, peer, events = [10, 10]) => ({
  name,
  bytes: 2560,
  chunk,
  ssekit,
  "ssekit events": events[0],
  "eventsource-parser": peer,
  "eventsource-parser events": events[1],
});
const browserResults = {
  parsers: [parser("whole-a", null, 3, 2), parser("whole-b", null, 1.125, 1, [9, 10]), parser("small", 16, 5, 2)],
  endToEnd: { n: 20000, size: 100, eventsPerSecond: { native: 1000, ssekit: 2000, "ssekit events()": 1500, "fetch-event-source": 1500 } },
};

test("browser: ratios split by chunking, event counts that differ, the size target", () => {
  const lines = browserSection(browserResults, "x; total 12289 B gzip", date);
  assert.equal(lines[8], "Run on 2026-01-02 in Chromium.");
  // 2.5 KiB and 1.125 are ties, each to even.
  assert.ok(lines.includes("| whole-b | 2 KiB | whole | 1 | 1 | 1.12x (events: 9 vs 10) |"));
  assert.ok(lines.includes("| small | 2 KiB | 16 | 5 | 2 | 2.50x |"));
  assert.ok(lines.includes("Target ≥ 1.0x eventsource-parser on every whole-chunk fixture: worst 1.12x — **met**."));
  assert.ok(lines.includes("Target ≥ 2x on the 4- and 16-byte-chunk fixtures: worst 2.50x — **met**."));
  assert.ok(lines.includes("20,000 events of ~100 B JSON from the local server, time from construction to the last"));
  assert.ok(lines.includes("| ssekit events() | 1,500 |"));
  assert.ok(lines.includes("Target ≥ 1.5x the native EventSource: ssekit `EventSource` is 2.00x native — **met**."));
  assert.match(lines.at(-2), /\(x; total 12289 B gzip\)\. .*: 12,289 B — \*\*missed\*\*\.$/);
  assert.equal(browserSection({ ...browserResults, browser: "Chromium 1" }, "total 1 B gzip", date)[8], "Run on 2026-01-02 in Chromium 1.");
  assert.throws(() => browserSection(browserResults, "total x B gzip", date), /no `total N B gzip`/);
  const wholeOnly = { ...browserResults, parsers: browserResults.parsers.slice(0, 2) };
  assert.throws(() => browserSection(wholeOnly, "total 1 B gzip", date), /no small-chunk/);
});

const edgeRun = (label, p99, cpu, deliveries = 100) => ({
  label,
  subscribers: 1000,
  publishes: 40,
  deliveries,
  expected: 100,
  p50: 0.25,
  p99,
  max: 60,
  workerdMicrosPerDelivery: cpu,
  clientMicrosPerDelivery: 2.5,
});
const round = (label, eventsPerSecond, cpuMicrosPerEvent) => ({ label, eventsPerSecond, cpuMicrosPerEvent });
const edgeResults = {
  events: 200000,
  liveEvents: 2000,
  rounds: [
    ...[1, 3].flatMap((i) => [round("ssekit", 1000 * i, 0.125 * i), round("hono", 10, 2.5), round("ssekit live", 5, 100), round("hono live", 5, 90)]),
    round("ssekit", 2500, 0.25),
  ],
  fanOut: edgeRun("websockets", 50, 20),
  fanOutStreams: edgeRun("streams", 10, 20.5, 99),
  fanOutFloor: edgeRun("floor", 5, 9.5),
};

test("edge: medians per label, rounds, the fan-out targets", () => {
  assert.equal(medianOf(edgeResults.rounds, "ssekit", "eventsPerSecond"), 2500);
  assert.equal(medianOf(edgeResults.rounds, "hono live", "cpuMicrosPerEvent"), 90);
  assert.throws(() => medianOf(edgeResults.rounds, "nobody", "eventsPerSecond"), /no `nobody` rounds/);
  const lines = edgeSection(edgeResults, "workerd 1", date);
  assert.ok(lines.includes("Run on 2026-01-02 in workerd 1 (Miniflare, loopback, this 2-core machine)."));
  assert.ok(lines.some((line) => line.startsWith("one Node client; median of 2 alternating rounds.")));
  assert.ok(lines.includes("| ssekit `SseResponse` | 2,500 | 0.25 |"));
  // 2.5 / 0.25 = 10; 0.125 at two decimals is a tie, to even.
  assert.ok(lines.includes("Target: cost per event ≤ hono's: 0.25 vs 2.50 µs (10x less) — **met**."));
  assert.ok(lines.includes("Target: cost per event ≤ hono's, live: 100.00 vs 90.00 µs — **missed**."));
  assert.ok(lines.includes("| streams | 99 of 100 | 0.2 | 10.0 | 60.0 | 20 | 2 |"));
  // Streams are within 50 ms but lost a delivery.
  assert.ok(lines.includes("Target p99 ≤ 50 ms at 1,000 subscribers (the default fan-out, websockets): 50.0 ms — **met**; streams: 10.0 ms — **missed**."));
  assert.ok(lines.includes("Target workerd CPU ≤ 20 µs per delivery: websockets 20 µs — **met**; streams 20 µs — **missed** (the plain-JavaScript floor: 10 µs)."));
});

const shard = (subscribers, fanout, shards, cpu, keys = [2, 0.03125]) => ({
  subscribers,
  fanout,
  shards,
  publishes: 40,
  deliveries: subscribers * 40,
  expected: subscribers * 40,
  p50: 1,
  p99: 2.25,
  max: 3,
  workerdMicrosPerDelivery: cpu,
  clientMicrosPerDelivery: 1,
  storageKeysPerPublish: keys[0],
  storageKeysPerDelivery: keys[1],
});

test("shards: runs in order, each hub run against the floor of its size", () => {
  const matrix = [
    shard(1000, "websockets", 4, 50),
    shard(1000, "floor", 1, 40, [null, null]),
    shard(100, "streams", 1, 5),
    shard(1000, "streams", 4, 40),
    shard(1000, "streams", 1, 41),
  ];
  const order = sortedRuns(matrix).map((run) => `${run.subscribers} ${run.fanout} ${run.shards}`);
  assert.deepEqual(order, ["100 streams 1", "1000 floor 1", "1000 streams 1", "1000 streams 4", "1000 websockets 4"]);
  const lines = shardsSection({ publishes: 40, shardMatrix: matrix }, "workerd 1", date);
  assert.ok(lines.includes("| 1,000 | plain JavaScript (the floor) | — | 40,000 of 40,000 | 1.0 | 2.2 | 3.0 | 40 | 1 | — | — |"));
  assert.ok(lines.includes("| 100 | hub, FANOUT=streams | 1 | 4,000 of 4,000 | 1.0 | 2.2 | 3.0 | 5 | 1 | 2.0 | 0.0312 |"));
  // The 100-subscriber run has no floor of its size: no verdict.
  assert.deepEqual(lines.slice(lines.indexOf("Target: workerd CPU per delivery ≤ the plain-JavaScript floor in the same run:") + 1, -1), [
    "- 1,000 subscribers, FANOUT=streams, SHARDS=1: 41 µs per delivery against the floor's 40 µs — **missed**; p99 2.2 ms.",
    "- 1,000 subscribers, FANOUT=streams, SHARDS=4: 40 µs per delivery against the floor's 40 µs — **met**; p99 2.2 ms.",
    "- 1,000 subscribers, FANOUT=websockets, SHARDS=4: 50 µs per delivery against the floor's 40 µs — **missed**; p99 2.2 ms.",
  ]);
});

test("package: files by path, what a browser loads against 12 KB", () => {
  const pack = {
    name: "ssekit",
    version: "0.1.0",
    entryCount: 2,
    size: 1234,
    unpackedSize: 12345,
    files: [
      { path: "index.js", size: 1000 },
      { path: "README.md", size: 11345 },
    ],
  };
  const lines = packageSection(pack, 4000, 8288, date);
  assert.ok(lines.includes("Run on 2026-01-02: `ssekit@0.1.0`, 2 files,"));
  assert.ok(lines.includes("1,234 B packed, 12,345 B unpacked."));
  assert.deepEqual(lines.filter((line) => line.startsWith("| `")), ["| `README.md` | 11,345 |", "| `index.js` | 1,000 |"]);
  assert.match(lines.at(-2), /JS 4,000 B \+ wasm 8,288 B = 12,288 B\. Target ≤ 12 KB \(12,288 B\): \*\*met\*\*\.$/);
  assert.match(packageSection(pack, 4001, 8288, date).at(-2), /12,289 B\. .*\*\*missed\*\*\.$/);
});

test("runtime: the command from the results, numbers as toLocaleString writes them", () => {
  // Ties of the shortest digits away from zero, unlike `fixed`.
  assert.equal(n(2.5), "3");
  assert.equal(n(0.285, 2), "0.29");
  assert.equal(n(1234567.25, 1), "1,234,567.3");
  const results = {
    browser: "Chromium 1",
    seconds: 30,
    memory: {
      early: { events: 1000, reconnects: 10, jsHeap: 1000, wasmMemory: 1000 },
      late: { events: 100000, reconnects: 1000, jsHeap: 1050, wasmMemory: 1000 },
    },
    mainThread: [
      { client: "native", events: 30000, taskMs: 1000, scriptMs: 100, usPerEvent: 20 },
      { client: "ssekit", events: 30000, taskMs: 1000, scriptMs: 100, usPerEvent: 25 },
    ],
    slowLink: [
      { client: "native", importMs: 100, firstEventMs: 200 },
      { client: "ssekit", importMs: 300, firstEventMs: 600.5 },
    ],
  };
  const lines = runtimeSection(results, date);
  assert.equal(lines[3], "Command: `cargo xtask bench runtime 30 --report`. Run on 2026-01-02 in Chromium 1.");
  assert.match(lines.find((line) => line.startsWith("Target: within 10 %")), /JS heap \+5\.0 %, wasm memory \+0\.0 % — \*\*met\*\*\.$/);
  assert.ok(lines.includes("Target: ssekit's time per event ≤ 1.25x the native EventSource's: 25.0 vs 20.0 µs (1.25x) — **met**."));
  assert.ok(lines.includes("Target: ssekit's first event ≤ 600 ms from navigation: 601 ms — **missed** (the native EventSource: 200 ms)."));
});
