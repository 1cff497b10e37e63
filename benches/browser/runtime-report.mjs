// Writes the runtime section of BENCHMARKS.md from benches/browser/runtime.mjs's JSON.
//
//   node benches/browser/runtime-report.mjs runtime.json BENCHMARKS.md "<command>"
import { readFileSync, writeFileSync, existsSync } from "node:fs";

const [resultsPath, out, command] = process.argv.slice(2);
const r = JSON.parse(readFileSync(resultsPath, "utf8"));
const START = "<!-- runtime-bench:start -->";
const END = "<!-- runtime-bench:end -->";
const verdict = (ok) => (ok ? "**met**" : "**missed**");
const n = (x, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const { early, late } = r.memory;
const heapGrowth = late.jsHeap / early.jsHeap - 1;
const wasmGrowth = late.wasmMemory / early.wasmMemory - 1;
const byClient = (name) => r.mainThread.filter((row) => row.client === name);
const best = (rows) => Math.min(...rows.map((row) => row.usPerEvent));
const native = best(byClient("native"));
const ssekit = best(byClient("ssekit"));
const slow = Object.fromEntries(r.slowLink.map((row) => [row.client, row]));
const previous = slow["previous release (top-level await)"];

const lines = [
  START,
  "## Browser runtime: memory, main-thread time, first event on a slow link (`benches/browser/runtime.mjs`)",
  "",
  `Command: \`${command}\`. Run on ${new Date().toISOString().slice(0, 10)} in ${r.browser}.`,
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
const section = lines.join("\n");
let text = existsSync(out) ? readFileSync(out, "utf8") : "# Benchmarks\n";
if (text.includes(START)) {
  text = text.slice(0, text.indexOf(START)) + section + text.slice(text.indexOf(END) + END.length);
} else {
  text = text.trimEnd() + "\n\n" + section + "\n";
}
writeFileSync(out, text);
console.log(section);
