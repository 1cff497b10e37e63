// Writes the sharded-channels section of BENCHMARKS.md from <DIR>/bench-edge/shards.json,
// the matrix benches/edge/run.mjs measures with EDGE_SHARD_MATRIX=1.
//
//   node benches/edge/shards-report.mjs [--in DIR] [--out FILE]
import { fixed, groupedNumber, isMain, printed, reportArgs, today, verdict, versionOf, writeSection } from "../report.mjs";

const START = "<!-- edge-shards-bench:start -->";
const END = "<!-- edge-shards-bench:end -->";

const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/// The runs by subscribers, then FANOUT, then SHARDS.
export const sortedRuns = (runs) =>
  [...runs].sort((a, b) => a.subscribers - b.subscribers || compare(a.fanout, b.fanout) || a.shards - b.shards);

/// Storage keys per publish or delivery: `—` where the run has no storage.
const keys = (run, name, digits) => (run[name] === null ? "—" : fixed(run[name], digits));

export function shardsSection(results, workerd, date) {
  const runs = sortedRuns(results.shardMatrix);
  const rows = [];
  const verdicts = [];
  for (const run of runs) {
    const isFloor = run.fanout === "floor";
    rows.push(
      `| ${groupedNumber(run.subscribers)} | ${isFloor ? "plain JavaScript (the floor)" : `hub, FANOUT=${run.fanout}`} ` +
        `| ${isFloor ? "—" : printed(run.shards)} | ${groupedNumber(run.deliveries)} of ${groupedNumber(run.expected)} ` +
        `| ${fixed(run.p50, 1)} | ${fixed(run.p99, 1)} | ${fixed(run.max, 1)} | ${fixed(run.workerdMicrosPerDelivery, 0)} ` +
        `| ${fixed(run.clientMicrosPerDelivery, 0)} | ${keys(run, "storageKeysPerPublish", 1)} | ${keys(run, "storageKeysPerDelivery", 4)} |`,
    );
    const floor = runs.find((other) => other.subscribers === run.subscribers && other.fanout === "floor");
    if (isFloor || !floor) continue;
    const [cpu, floorCpu] = [run.workerdMicrosPerDelivery, floor.workerdMicrosPerDelivery];
    verdicts.push(
      `- ${groupedNumber(run.subscribers)} subscribers, FANOUT=${run.fanout}, SHARDS=${printed(run.shards)}: ${fixed(cpu, 0)} µs ` +
        `per delivery against the floor's ${fixed(floorCpu, 0)} µs — ${verdict(cpu <= floorCpu)}; p99 ${fixed(run.p99, 1)} ms.`,
    );
  }
  return [
    START,
    "### Sharded channels (`SHARDS`)",
    "",
    "Command: `cargo xtask bench edge --shards --report` (`benches/edge/run.mjs` with `EDGE_SHARD_MATRIX=1`; long).",
    "",
    `Run on ${date} in ${workerd} (Miniflare, loopback, this 2-core machine): one`,
    "workerd process runs the front Workers, the root and every shard, so shards share its threads",
    `here. Same method as the fan-out table above: ${printed(results.publishes)} publishes 50 ms apart, latency`,
    "from just before the publish to the subscriber's read, workerd CPU (user + system) during the",
    "publishes divided by the deliveries. The floor is `benches/edge/fanout-floor.js`, the same",
    "channel in plain JavaScript (no storage), in the same run. Storage keys are the keys written or",
    "deleted (what Durable Object storage bills), from the objects' own counters in `stats`.",
    "",
    "| subscribers | channel | SHARDS | deliveries | p50 ms | p99 ms | max ms | workerd CPU µs/delivery | client CPU µs/delivery | storage keys/publish | storage keys/delivery |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "Target: workerd CPU per delivery ≤ the plain-JavaScript floor in the same run:",
    ...verdicts,
    END,
  ];
}

if (isMain(import.meta.url)) {
  const { out, json } = reportArgs(process.argv.slice(2), "BENCHMARKS.md");
  const results = json("bench-edge/shards.json");
  writeSection(out, START, END, shardsSection(results, versionOf("node_modules/.bin/workerd"), today()));
}
