// Writes the reconnect soak's section of RELIABILITY.md from the report run.mjs
// prints (`cargo xtask soak` keeps it in target/soak/report.json), then fails,
// naming them, if any of its checks did.
//
//   node tests/soak/report.mjs [--in DIR] [--out FILE]
import { fileURLToPath } from "node:url";
import { fixed, groupedNumber, printed, reportArgs, today, versionOf, writeSection } from "../../benches/report.mjs";

const START = "<!-- soak:start -->";
const END = "<!-- soak:end -->";

const { out, json } = reportArgs(process.argv.slice(2), "RELIABILITY.md");
const r = json("soak/report.json");
const d = r.delays;

// A figure missing or of the wrong kind fails the report (as the Rust writer
// refused it) instead of printing as `undefined` or passing a check.
function num(object, key) {
  if (typeof object[key] !== "number") throw new Error(`soak report: \`${key}\` is missing or not a number`);
  return object[key];
}
function entries(object, key) {
  if (typeof object[key] !== "object" || object[key] === null || Array.isArray(object[key])) {
    throw new Error(`soak report: \`${key}\` is not an object`);
  }
  return Object.entries(object[key]);
}
// Python's truth, as xtask's: empty lists and objects are false too.
function flag(object, key) {
  const value = object[key];
  if (value === undefined) throw new Error(`soak report: no \`${key}\``);
  return typeof value === "object" && value !== null ? Object.keys(value).length > 0 : Boolean(value);
}
const inOrder = flag(r, "inOrder");
const resumed = flag(r, "resumedWithLastEventId");
const yesNo = (on) => (on ? "yes" : "no");

// Keyed by the delay in ms; listed from the shortest.
const byExpected = entries(d, "byExpectedMs")
  .map(([ms, n]) => {
    if (!/^[+-]?\d+$/.test(ms)) throw new Error(`soak report: delay \`${ms}\` is not a number of ms`);
    return [Number(ms), n];
  })
  .sort(([a], [b]) => a - b)
  .map(([ms, n]) => `${ms} ms: ${printed(n)}`)
  .join(", ");

const cycles = groupedNumber(r.cycles);
const checks = [
  ["events lost", printed(r.lost), num(r, "lost") === 0],
  ["events duplicated", printed(r.duplicates), num(r, "duplicates") === 0],
  ["partial events dispatched (data not matching the id)", printed(r.partial), num(r, "partial") === 0],
  ["received in publish order", yesNo(inOrder), inOrder],
  [
    "received / published",
    `${groupedNumber(r.received)} / ${groupedNumber(r.published)}`,
    num(r, "received") === num(r, "published"),
  ],
  ["every reconnect sent Last-Event-ID", yesNo(resumed), resumed],
  ["reconnects earlier than the policy's delay", `${printed(d.early)} of ${printed(d.checked)}`, num(d, "early") === 0],
  ["reconnects checked per expected delay", byExpected, true],
  [
    "reconnect lateness over the policy, p50 / p99",
    `${printed(d.latenessP50)} ms / ${printed(d.latenessP99)} ms`,
    num(d, "latenessP99") < 1000,
  ],
  ["hub subscribers after the soak", printed(r.subscribersAfterSoak), num(r, "subscribersAfterSoak") === 0],
  ["hub subscribers while 16 are held (the count is live)", printed(r.subscribersWhileHeld), num(r, "subscribersWhileHeld") === 16],
  [`hub subscribers after ${cycles} connect/disconnect cycles`, printed(r.subscribersAfterCycles), num(r, "subscribersAfterCycles") === 0],
];
const kinds = entries(r, "byKind")
  .map(([kind, n]) => `${kind} ${printed(n)}`)
  .join(", ");
const chromium = versionOf("/usr/bin/chromium");
const workerd = versionOf(fileURLToPath(new URL("../../node_modules/.bin/workerd", import.meta.url)));

writeSection(out, START, END, [
  START,
  "## Reconnect soak (`tests/soak/`)",
  "",
  "Command: `cargo xtask soak` (builds the web package and the hub worker, runs `tests/soak/run.mjs`",
  "under Node 22, writes this section). The test command runs the same soak",
  "bounded (`tests/soak/soak.test.mjs`: 200 disconnects, 2,000 cycles).",
  "",
  `Run on ${today()} with ${chromium} and ${workerd} (Miniflare), seed ${printed(r.seed)}.`,
  "",
  "Setup: the ssekit `EventSource` in headless Chromium subscribes to a channel of the hub's Durable Object",
  "through a fault-injecting proxy (`tests/soak/fault-proxy.mjs`) while a publisher POSTs numbered events",
  "(data = the id the hub assigns) every 4 ms. The proxy breaks streams after 1–3 whole events: a clean",
  "end of the body (eof), a socket destroyed between events (cut-between) or halfway through one",
  "(cut-mid-event), headers then a destroyed socket (drop), or runs of 1–5 503s instead of the stream",
  "(status-503, listed in `retry.statuses`). Policy: `initialMs` 20, `multiplier` 2, `maxMs` 160, no jitter,",
  "`resetAfterMs` 0 (every open starts the count over; these streams last well under the default 60 s). A",
  "reconnect's expected delay is `initialMs × multiplier^(n−1)` capped at `maxMs`, n = failed attempts since",
  "the last open; it is measured from the moment the proxy struck to the next request's arrival.",
  "",
  `${groupedNumber(r.disconnects)} forced disconnects (${kinds}) in ${fixed(num(r, "soakSeconds"), 0)} s; ${cycles} cycles (16 at a time, each waits for the first bytes then aborts) in ${fixed(num(r, "cyclesSeconds"), 1)} s,`,
  `subscriber count back to zero ${printed(r.settleMs)} ms after the last one.`,
  "",
  "| check | result | |",
  "|---|---|---|",
  ...checks.map(([name, value, passed]) => `| ${name} | ${value} | ${passed ? "ok" : "**FAILED**"} |`),
  "",
  END,
]);

const failed = checks.filter(([, , passed]) => !passed).map(([name]) => name);
if (failed.length > 0) {
  console.error(`error: the soak failed: ${failed.join("; ")}`);
  process.exitCode = 1;
}
