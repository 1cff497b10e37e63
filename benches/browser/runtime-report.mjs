// Writes the runtime section of BENCHMARKS.md from <DIR>/bench-runtime.json,
// the figures of benches/browser/runtime.mjs.
//
//   node benches/browser/runtime-report.mjs [--in DIR] [--out FILE]
import { isMain, printed, reportArgs, today, verdict, writeSection } from "../report.mjs";

const START = "<!-- runtime-bench:start -->";
const END = "<!-- runtime-bench:end -->";

/// Grouped, `digits` decimals, rounded from the shortest round-trip digits
/// with ties away from zero (0.285 gives 0.29): this section was always
/// written with toLocaleString, not with `fixed` (which gives 0.28).
export const n = (x, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function runtimeSection(r, date) {
  const { early, late } = r.memory;
  const heapGrowth = late.jsHeap / early.jsHeap - 1;
  const wasmGrowth = late.wasmMemory / early.wasmMemory - 1;
  const byClient = (name) => r.mainThread.filter((row) => row.client === name);
  const best = (rows) => Math.min(...rows.map((row) => row.usPerEvent));
  const native = best(byClient("native"));
  const ssekit = best(byClient("ssekit"));
  const slow = Object.fromEntries(r.slowLink.map((row) => [row.client, row]));
  const previous = slow["previous release (top-level await)"];

  return [
    START,
    "## Browser runtime: memory, main-thread time, first event on a slow link (`benches/browser/runtime.mjs`)",
    "",
    `Command: \`cargo xtask bench runtime ${printed(r.seconds)} --report\`. Run on ${date} in ${r.browser}.`,
    "",
    "### Memory over a long session",
    "",
    "One ssekit `EventSource` against a server that ends every stream after 100 events, so it reconnects",
    "(`retry.initialMs: 0`); the JS heap measured after a forced GC (CDP), the wasm memory from the instance.",
    "",
    "| after | events | reconnects | JS heap | wasm memory |",
    "|---|---:|---:|---:|---:|",
    `| the first 1,000 events | ${n(early.events)} | ${n(early.reconnects)} | ${n(early.jsHeap)} B | ${n(early.wasmMemory)} B |`,
    `| 100,000 events | ${n(late.events)} | ${n(late.reconnects)} | ${n(late.jsHeap)} B | ${n(late.wasmMemory)} B |`,
    "",
    `Target: within 10 % of the first figures after 100,000 events and 1,000 reconnects: JS heap ${heapGrowth >= 0 ? "+" : ""}${n(heapGrowth * 100, 1)} %, wasm memory ${wasmGrowth >= 0 ? "+" : ""}${n(wasmGrowth * 100, 1)} % — ${verdict(heapGrowth <= 0.1 && wasmGrowth <= 0.1 && late.reconnects >= 1000)}.`,
    "",
    `### Main-thread time per event at a steady 1,000 events/s for ${r.seconds} s`,
    "",
    "CDP `TaskDuration` of the page (everything its main thread did) over the run, divided by the events.",
    "",
    "| client | events | main-thread time | of which script | per event |",
    "|---|---:|---:|---:|---:|",
    ...r.mainThread.map((row) => `| ${row.client} | ${n(row.events)} | ${n(row.taskMs)} ms | ${n(row.scriptMs)} ms | ${n(row.usPerEvent, 1)} µs |`),
    "",
    `Target: ssekit's time per event ≤ 1.25x the native EventSource's: ${n(ssekit, 1)} vs ${n(native, 1)} µs (${n(ssekit / native, 2)}x) — ${verdict(ssekit <= 1.25 * native)}` +
      (byClient("fetch-event-source").length
        ? `; without a DOM event per message: ssekit \`events()\` ${n(best(byClient("ssekit events()")), 1)} µs, fetch-event-source ${n(best(byClient("fetch-event-source")), 1)} µs.`
        : "."),
    "",
    "### Import and first event on a slow link (100 ms latency, 100 KB/s, cache off)",
    "",
    "From navigation start, median of 5 alternating page loads: when the module import resolved, when the",
    "first event arrived (a page that imports the package, then opens an EventSource). The server sends the",
    "package's files gzip-compressed, as a production server does.",
    "",
    "| client | import done | first event |",
    "|---|---:|---:|",
    ...r.slowLink.map((row) => `| ${row.client} | ${n(row.importMs)} ms | ${n(row.firstEventMs)} ms |`),
    "",
    `Target: ssekit's first event ≤ 600 ms from navigation: ${n(slow.ssekit.firstEventMs)} ms — ${verdict(slow.ssekit.firstEventMs <= 600)} (the native EventSource: ${n(slow.native.firstEventMs)} ms${previous ? `; the previous release's top-level await: ${n(previous.firstEventMs)} ms` : ""}).`,
    END,
  ];
}

if (isMain(import.meta.url)) {
  const { out, json } = reportArgs(process.argv.slice(2), "BENCHMARKS.md");
  writeSection(out, START, END, runtimeSection(json("bench-runtime.json"), today()));
}
