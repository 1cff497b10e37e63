// Writes the core section of BENCHMARKS.md from criterion's results (<DIR>/criterion)
// and the fixture list benches/parse.rs ran, as `fixtures::manifest_json` writes it.
//
//   node benches/core-report.mjs [--in DIR] [--out FILE] [--fixtures FILE]
import { join } from "node:path";
import { fixed, grouped, isMain, machine, readJson, reportArgs, today, verdict, writeSection } from "./report.mjs";

const START = "<!-- core-bench:start -->";
const END = "<!-- core-bench:end -->";
const IMPLS = ["ssekit", "eventsource-stream", "memchr-scan"];

/// One criterion result in `dir`: mean time in ns and the bytes per iteration.
function criterion(dir, fixture, implementation) {
  const base = join(dir, fixture, implementation, "new");
  return {
    ns: readJson(join(base, "estimates.json")).mean.point_estimate,
    bytes: readJson(join(base, "benchmark.json")).throughput.Bytes,
  };
}

const lower = (worst, x) => (worst === undefined ? x : Math.min(worst, x));

/// The section: MB/s per fixture and implementation, ratios against the peer
/// and the memchr anchor, the linearity figures, a verdict per target.
/// `result(fixture, implementation)` is a criterion result.
export function coreSection(fixtures, result, { date, machine }) {
  const rows = [];
  const measured = new Map();
  let worstPeer;
  let worstAnchor;
  for (const fixture of fixtures) {
    const runs = IMPLS.map((implementation) => result(fixture.name, implementation));
    measured.set(fixture.name, runs);
    // Every implementation parses the same stream: ssekit's bytes are its size.
    const size = runs[0].bytes;
    const [ours, peer, anchor] = runs.map(({ ns }) => size / (ns / 1e9) / 1e6);
    const vsPeer = ours / peer;
    const vsAnchor = ours / anchor;
    worstPeer = lower(worstPeer, vsPeer);
    if (fixture.dataHeavy) worstAnchor = lower(worstAnchor, vsAnchor);
    rows.push(
      `| ${fixture.name} | ${grouped(size / 1024, 0)} KiB | ${fixture.chunk ?? "whole"} | ${fixture.dataHeavy ? "yes" : ""} ` +
        `| ${grouped(ours, 0)} | ${grouped(peer, 0)} | ${grouped(anchor, 0)} | ${grouped(vsPeer, 1)}x | ${grouped(vsAnchor * 100, 0)} % |`,
    );
  }
  const runsOf = (name) => {
    const runs = measured.get(name);
    if (!runs) throw new Error(`the fixtures have no \`${name}\`, which the core report reads`);
    return runs;
  };
  if (worstPeer === undefined) throw new Error("the fixture list is empty");
  if (worstAnchor === undefined) throw new Error("no fixture is data-heavy");
  const linearity = runsOf("huge-event-4b")[0].ns / runsOf("huge-event-1")[0].ns;
  // Per-byte cost in 4-byte chunks at 256 KiB and at 8 MiB: equal costs mean
  // no re-scanning of the pending line (a quadratic parser would be ~32x).
  const nsPerByte = (name) => runsOf(name)[0].ns / runsOf(name)[0].bytes;
  const floor = runsOf("huge-event-4b")[2].ns / runsOf("huge-event-1")[0].ns;
  return [
    START,
    "## Core parser (`benches/parse.rs`)",
    "",
    "Command: `cargo xtask bench core --report` (runs `cargo bench --bench parse`, then writes this",
    "section from criterion's results and the Rust fixture list).",
    "",
    `Run on ${date}: ${machine}.`,
    "",
    "Each implementation gets the fixture in the same chunks. `ssekit` is `Parser` + `Dispatcher`",
    "(what an EventSource does, touching every message); `eventsource-stream` 0.2 is the peer, driven",
    "by `futures::executor::block_on`; `memchr-scan` visits every LF in the same chunks and nothing else (the",
    "physical limit). MB/s are 10^6 bytes of stream per second (criterion mean).",
    "",
    "| fixture | size | chunk | data-heavy | ssekit MB/s | eventsource-stream MB/s | memchr scan MB/s | ssekit / peer | ssekit / memchr |",
    "|---|---|---|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "Targets:",
    `- ≥ 5x eventsource-stream on every fixture: worst ${fixed(worstPeer, 1)}x — ${verdict(worstPeer >= 5)}`,
    `- ≥ 50 % of the memchr scan on data-heavy fixtures: worst ${fixed(worstAnchor * 100, 0)} % — ${verdict(worstAnchor >= 0.5)}`,
    `- 8 MiB event in 4-byte chunks ≤ ~2x the same event in one chunk: ${fixed(linearity, 1)}x — ${verdict(linearity <= 2.2)}`,
    "",
    `Linearity: in 4-byte chunks ssekit costs ${fixed(nsPerByte("long-line-4b"), 2)} ns/byte on the 256 KiB line and ` +
      `${fixed(nsPerByte("huge-event-4b"), 2)} ns/byte on the 8 MiB event (32x the bytes): the cost per byte does not grow ` +
      "with the size of the pending line. The 4-byte/1-chunk ratio is a per-call cost, not a re-scan: the memchr scan " +
      `alone over the same 4-byte chunks takes ${fixed(floor, 1)}x ssekit's whole-chunk time, before any parsing or copying.`,
    "",
    "What limits the memchr ratio: the scan only reads; a parser must also validate UTF-8 and copy every",
    "data byte into the event's data buffer (multi-line data must be joined), and pays a fixed cost per",
    "line (field dispatch, limit check) and per event (dispatch, callback). On fixtures with 1 KiB lines",
    "the scan runs at memory bandwidth, skipping whole cache lines, while the copy alone is a full",
    "read-and-write pass; on multibyte text the validation leaves its ASCII fast path. In 4-byte chunks",
    "each `feed` call costs a few nanoseconds of fixed work (state checks, a memchr call, a 4-byte",
    "append) on top of the scan's own per-call cost.",
    END,
  ];
}

if (isMain(import.meta.url)) {
  const { dir, out, options } = reportArgs(process.argv.slice(2), "BENCHMARKS.md", {
    // xtask writes it from the Rust fixture list before it runs this.
    fixtures: (dir) => join(dir, "criterion", "fixtures.json"),
  });
  const result = (fixture, implementation) => criterion(join(dir, "criterion"), fixture, implementation);
  writeSection(out, START, END, coreSection(readJson(options.fixtures), result, { date: today(), machine: machine() }));
}
