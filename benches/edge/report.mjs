// Writes the edge section of BENCHMARKS.md from <DIR>/bench-edge/results.json,
// the figures of benches/edge/run.mjs (one stream, a live feed, fan-out).
//
//   node benches/edge/report.mjs [--in DIR] [--out FILE]
import { fixed, grouped, groupedNumber, isMain, median, printed, reportArgs, today, verdict, versionOf, writeSection } from "../report.mjs";

const START = "<!-- edge-bench:start -->";
const END = "<!-- edge-bench:end -->";

/// The median of `key` over the rounds labelled `label`.
export function medianOf(rounds, label, key) {
  const values = rounds.filter((round) => round.label === label).map((round) => round[key]);
  if (values.length === 0) throw new Error(`no \`${label}\` rounds in the edge results`);
  return median(values);
}

export function edgeSection(results, workerd, date) {
  const rounds = results.rounds;
  const rate = (label) => medianOf(rounds, label, "eventsPerSecond");
  const cpu = (label) => medianOf(rounds, label, "cpuMicrosPerEvent");
  const [ssekitCpu, honoCpu, liveCpu, honoLiveCpu] = ["ssekit", "hono", "ssekit live", "hono live"].map(cpu);
  // One stream's table, for the burst ("") and for the live feed (" live").
  const oneStream = (feed, ours, theirs) => [
    "| worker | events/s | CPU µs/event |",
    "|---|---:|---:|",
    `| ssekit \`SseResponse\` | ${grouped(rate(`ssekit${feed}`), 0)} | ${fixed(ours, 2)} |`,
    `| hono \`streamSSE\` | ${grouped(rate(`hono${feed}`), 0)} | ${fixed(theirs, 2)} |`,
  ];
  // Four labels a round.
  const roundCount = Math.floor(rounds.length / 4);
  const { fanOut: fan, fanOutStreams: streams, fanOutFloor: floor } = results;
  const allDelivered = (run) => run.deliveries === run.expected;
  return [
    START,
    "## Edge (`benches/edge/`)",
    "",
    "Command: `cargo xtask bench edge --report` (builds the hub worker with `cargo xtask build worker` and the",
    "hono worker with esbuild, runs `benches/edge/run.mjs` under Node 22 against both in workerd through",
    "Miniflare, and writes this section).",
    "",
    `Run on ${date} in ${workerd} (Miniflare, loopback, this 2-core machine).`,
    "",
    "### One stream: `SseResponse` (Rust, hub `GET /ticks`) vs hono `streamSSE`",
    "",
    `${groupedNumber(results.events)} events (\`event: tick\`, id and data \`n\`), every one ready at once, read to the end by`,
    `one Node client; median of ${roundCount} alternating rounds. CPU is the workerd process's user + system`,
    "time over the run (from /proc) divided by the events.",
    "",
    ...oneStream("", ssekitCpu, honoCpu),
    "",
    `Target: cost per event ≤ hono's: ${fixed(ssekitCpu, 2)} vs ${fixed(honoCpu, 2)} µs (${fixed(honoCpu / ssekitCpu, 0)}x less) — ${verdict(ssekitCpu <= honoCpu)}.`,
    "",
    `A live feed: ${groupedNumber(results.liveEvents)} events one millisecond apart (a timer in the worker produces each;`,
    "nothing is ready together, so nothing is batched), same rounds:",
    "",
    ...oneStream(" live", liveCpu, honoLiveCpu),
    "",
    `Target: cost per event ≤ hono's, live: ${fixed(liveCpu, 2)} vs ${fixed(honoLiveCpu, 2)} µs — ${verdict(liveCpu <= honoLiveCpu)}.`,
    "",
    "### Fan-out: one hub channel (Durable Object) to many subscribers",
    "",
    `${groupedNumber(fan.subscribers)} subscribers on loopback (one Node process, undici), ${printed(fan.publishes)} publishes 50 ms`,
    "apart, each carrying its send time; latency is from just before the publish request to the",
    "subscriber's read of the event. CPU is workerd's (user + system, from /proc) during the publishes,",
    "divided by the deliveries. The floor is `benches/edge/fanout-floor.js`: the same channel in plain",
    "JavaScript, no storage, one shared chunk enqueued into every stream, in the same workerd.",
    "",
    "| channel | deliveries | p50 ms | p99 ms | max ms | workerd CPU µs/delivery | client CPU µs/delivery |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...[fan, streams, floor].map(
      (run) =>
        `| ${printed(run.label)} | ${groupedNumber(run.deliveries)} of ${groupedNumber(run.expected)} | ${fixed(run.p50, 1)} ` +
        `| ${fixed(run.p99, 1)} | ${fixed(run.max, 1)} | ${fixed(run.workerdMicrosPerDelivery, 0)} | ${fixed(run.clientMicrosPerDelivery, 0)} |`,
    ),
    "",
    `Target p99 ≤ 50 ms at ${groupedNumber(fan.subscribers)} subscribers (the default fan-out, websockets): ${fixed(fan.p99, 1)} ms — ` +
      `${verdict(fan.p99 <= 50 && allDelivered(fan))}; streams: ${fixed(streams.p99, 1)} ms — ${verdict(streams.p99 <= 50 && allDelivered(streams))}.`,
    `Target workerd CPU ≤ 20 µs per delivery: websockets ${fixed(fan.workerdMicrosPerDelivery, 0)} µs — ${verdict(fan.workerdMicrosPerDelivery <= 20)}; ` +
      `streams ${fixed(streams.workerdMicrosPerDelivery, 0)} µs — ${verdict(streams.workerdMicrosPerDelivery <= 20)} ` +
      `(the plain-JavaScript floor: ${fixed(floor.workerdMicrosPerDelivery, 0)} µs).`,
    END,
  ];
}

if (isMain(import.meta.url)) {
  const { out, json } = reportArgs(process.argv.slice(2), "BENCHMARKS.md");
  const results = json("bench-edge/results.json");
  writeSection(out, START, END, edgeSection(results, versionOf("node_modules/.bin/workerd"), today()));
}
