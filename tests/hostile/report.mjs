// Writes the hostile streams' section of RELIABILITY.md from the figures
// `cargo xtask hostile` has main.rs (native parser) and browser.test.mjs (the
// web build in Chromium) write to target/hostile/native.json and browser.json.
//
//   node tests/hostile/report.mjs [--in DIR] [--out FILE]
import { fixed, grouped, groupedNumber, printed, reportArgs, today, versionOf, writeSection } from "../../benches/report.mjs";

const START = "<!-- hostile:start -->";
const END = "<!-- hostile:end -->";
const MIB = 2 ** 20;

const { out, json } = reportArgs(process.argv.slice(2), "RELIABILITY.md");
const native = json("hostile/native.json");
const browser = json("hostile/browser.json");
const mib = (bytes) => `${grouped(bytes / MIB, 1)} MiB`;

// A figure missing or of the wrong kind fails the report (as the Rust writer
// refused it) instead of printing as `undefined` or passing a check.
function num(object, key) {
  if (typeof object[key] !== "number") throw new Error(`hostile figures: \`${key}\` is missing or not a number`);
  return object[key];
}
function list(value, what) {
  if (!Array.isArray(value)) throw new Error(`hostile figures: ${what} is not a list`);
  return value;
}
if (list(native, "native.json").length === 0) throw new Error("no native hostile-stream figures");
const limit = num(native[0], "limitBytes");

const nativeRows = native.map((r) => {
  const peak = num(r, "peakHeapBytes");
  // Linux only: null (or absent) where VmHWM could not be reset.
  const rss = r.peakRssBytes == null ? "n/a" : mib(num(r, "peakRssBytes"));
  return {
    peak,
    line: `| ${printed(r.name)} | ${mib(num(r, "fedBytes"))} | ${fixed(num(r, "seconds"), 2)} s | ${groupedNumber(r.events)} | ${printed(r.errors)} | ${groupedNumber(r.retries)} | ${mib(peak)} | ${fixed(peak / limit, 2)} | ${rss} |`,
  };
});
const worst = Math.max(...nativeRows.map((row) => row.peak));

// Each browser API's rows with their own names for the counts.
const browserRows = [
  ["parser", "`SseParser.feed`", "events", "errors"],
  ["eventSource", "`EventSource` (network)", "messages", "parseErrors"],
].flatMap(([key, api, events, errors]) =>
  list(browser[key], `browser.json's ${key}`).map((r) => {
    const after = num(r, "memoryAfter");
    return {
      after,
      line: `| ${api} | ${printed(r.name)} | ${fixed(num(r, "seconds"), 2)} s | ${groupedNumber(r[events])} | ${printed(r[errors])} | ${mib(num(r, "memoryBefore"))} → ${mib(after)} |`,
    };
  }),
);
// With no browser rows at all, the lowest float, as xtask started from.
const peak = Math.max(-Number.MAX_VALUE, ...browserRows.map((row) => row.after));

writeSection(out, START, END, [
  START,
  "## Hostile streams (`tests/hostile/`)",
  "",
  "Command: `cargo xtask hostile` (runs `cargo test --release --test hostile` and",
  "`tests/hostile/browser.test.mjs`, as the test command does, with figures written out, then writes",
  "this section).",
  "",
  `Run on ${today()} on this 2-core machine; ${versionOf("rustc")}; ${versionOf("/usr/bin/chromium")}.`,
  `Event size limit: ${mib(limit)} (the default). Each stream ends with a blank line and \`data: after\`,`,
  "so recovering means: exactly one `EventTooLarge`/`SseParseError`, then the `after` event.",
  "",
  "### Native (`tests/hostile/main.rs`, 64 KiB chunks)",
  "",
  "Peak heap: a counting global allocator's high-water mark over the scenario, counting every",
  "reallocation as if it moved (old and new block both live). Peak RSS: growth of VmHWM after resetting",
  "it (`/proc/self/clear_refs`); glibc reuses pages freed by earlier scenarios, so later rows can show 0.",
  "",
  "| stream | fed | time | events | errors | retries | peak heap | × limit | peak RSS |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...nativeRows.map((row) => row.line),
  "",
  `Worst peak heap: ${mib(worst)} = ${fixed(worst / limit, 2)}× the limit; the test fails above 3×. Why it can go`,
  "over 1×: a line split across chunks is held raw while it is decoded into a field buffer (both up to the",
  "limit), and a growing buffer's old block is live during a moving reallocation. Buffer capacity never",
  "exceeds the limit, and buffers give back anything over 64 KiB when an event ends.",
  "",
  "### Browser (`tests/hostile/browser.test.mjs`, headless Chromium, the web build)",
  "",
  "Wasm memory never shrinks, so its size after a scenario is the peak so far (the instance is shared by",
  "the scenarios, in this order). The test fails above 3× the limit + 8 MiB.",
  "",
  "| API | stream | time | events | parse errors | wasm memory before → after |",
  "|---|---|---:|---:|---:|---:|",
  ...browserRows.map((row) => row.line),
  "",
  `Peak wasm memory: ${mib(peak)} = ${fixed(peak / limit, 2)}× the limit (it includes the module's own data`,
  "and the allocator's free lists). Absurd `retry` values saturate at 2^64 − 1 (a JS number shows",
  "2^64); the EventSource sleeps such delays in steps of the longest timer (2^31 − 1 ms) instead of",
  "letting the timer overflow and fire at once (`an_absurd_server_retry_waits_instead_of_reconnecting_at_once`).",
  "",
  END,
]);
