// Writes the browser section of BENCHMARKS.md from <DIR>/bench-browser.json (run.mjs's
// figures) and <DIR>/bench-browser-size.txt (the size line of `cargo xtask build web`).
//
//   node benches/browser/report.mjs [--in DIR] [--out FILE]
import { readFileSync } from "node:fs";
import { fixed, grouped, groupedNumber, isMain, printed, reportArgs, today, verdict, writeSection } from "../report.mjs";

const START = "<!-- browser-bench:start -->";
const END = "<!-- browser-bench:end -->";

/// N in the first `total N B gzip` of the size line, or undefined.
export function totalGzip(sizeLine) {
  const match = /total (\d+) B gzip/.exec(sizeLine);
  return match ? Number(match[1]) : undefined;
}

const lower = (worst, x) => (worst === undefined ? x : Math.min(worst, x));

export function browserSection(results, sizeLine, date) {
  const rows = [];
  let worstWhole;
  let worstSmall;
  for (const r of results.parsers) {
    const ratio = r.ssekit / r["eventsource-parser"];
    if (r.chunk) worstSmall = lower(worstSmall, ratio);
    else worstWhole = lower(worstWhole, ratio);
    const [ours, theirs] = [r["ssekit events"], r["eventsource-parser events"]];
    const counts = ours === theirs ? "" : ` (events: ${printed(ours)} vs ${printed(theirs)})`;
    rows.push(
      `| ${printed(r.name)} | ${grouped(r.bytes / 1024, 0)} KiB | ${r.chunk ? printed(r.chunk) : "whole"} ` +
        `| ${grouped(r.ssekit, 0)} | ${grouped(r["eventsource-parser"], 0)} | ${fixed(ratio, 2)}x${counts} |`,
    );
  }
  if (worstWhole === undefined) throw new Error("no whole-chunk parser figures");
  if (worstSmall === undefined) throw new Error("no small-chunk parser figures");

  const e2e = results.endToEnd;
  const eps = e2e.eventsPerSecond;
  const vsNative = eps.ssekit / eps.native;
  const vsFes = eps["ssekit events()"] / eps["fetch-event-source"];
  const total = totalGzip(sizeLine);
  if (total === undefined) throw new Error(`no \`total N B gzip\` in the size line \`${sizeLine}\``);
  const browser = results.browser === undefined ? "Chromium" : printed(results.browser);
  return [
    START,
    "## Browser (`benches/browser/`)",
    "",
    "Command: `cargo xtask bench browser --report` (builds the package into `pkg/` with `cargo xtask build web`,",
    "writes the core fixtures at 1/4 scale with `cargo run --example write_fixtures`, serves them with",
    "`benches/browser/server.mjs`, runs `benches/browser/bench.mjs` in headless Chromium via Playwright, and",
    "writes this section).",
    "",
    `Run on ${date} in ${browser}.`,
    "",
    "### Parsers: `SseParser` vs eventsource-parser 4",
    "",
    "Same page, same run, same `Uint8Array` chunks; eventsource-parser gets them through a streaming",
    "`TextDecoder` (it takes strings), as a client reading `response.body` must. Best of 4 alternating rounds, each the mean over repeated runs of at least 300 ms, MB/s.",
    "",
    "| fixture | size | chunk | ssekit MB/s | eventsource-parser MB/s | ratio |",
    "|---|---|---|---:|---:|---:|",
    ...rows,
    "",
    `Target ≥ 1.0x eventsource-parser on every whole-chunk fixture: worst ${fixed(worstWhole, 2)}x — ${verdict(worstWhole >= 1)}.`,
    `Target ≥ 2x on the 4- and 16-byte-chunk fixtures: worst ${fixed(worstSmall, 2)}x — ${verdict(worstSmall >= 2)}.`,
    "",
    "### End to end: EventSource implementations",
    "",
    `${groupedNumber(e2e.n)} events of ~${printed(e2e.size)} B JSON from the local server, time from construction to the last`,
    "event, median of 3 alternating rounds:",
    "",
    "| client | events/s |",
    "|---|---:|",
    ...Object.entries(eps).map(([name, value]) => `| ${name} | ${grouped(value, 0)} |`),
    "",
    `Target ≥ 1.5x the native EventSource: ssekit \`EventSource\` is ${fixed(vsNative, 2)}x native — ${verdict(vsNative >= 1.5)}.`,
    `Target ≥ 1.0x fetch-event-source through \`events()\`: ${fixed(vsFes, 2)}x — ${verdict(vsFes >= 1)}.`,
    "",
    "### Size",
    "",
    `\`cargo xtask build web\` (${sizeLine}). Target ≤ 12 KB gzip (12,288 B): ${groupedNumber(total)} B — ${verdict(total <= 12 * 1024)}.`,
    END,
  ];
}

if (isMain(import.meta.url)) {
  const { out, json, result } = reportArgs(process.argv.slice(2), "BENCHMARKS.md");
  const results = json("bench-browser.json");
  const sizeLine = readFileSync(result("bench-browser-size.txt"), "utf8").replace(/\n+$/, "");
  writeSection(out, START, END, browserSection(results, sizeLine, today()));
}
