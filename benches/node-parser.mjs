// SseParser vs eventsource-parser in Node's V8, with TextDecoder alone as
// the floor both pay: a quick look at where SseParser.feed's time goes
// (run it under `node --cpu-prof`). Not the reported benchmark: that runs in
// Chromium (`cargo xtask bench browser`).
//
//   node benches/node-parser.mjs [pkg-dir=pkg] [fixture=data-only]
// Fixtures come from `cargo run --release --example write_fixtures`
// (`cargo xtask bench browser` writes them to target/bench-fixtures).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createParser } from "eventsource-parser";

const pkgDir = resolve(process.argv[2] ?? "pkg");
const fixture = process.argv[3] ?? "data-only";
const ssekit = await import(pathToFileURL(`${pkgDir}/node.js`).href);
const bytes = new Uint8Array(readFileSync(`target/bench-fixtures/${fixture}.sse`));

function measure(label, run) {
  for (let i = 0; i < 50; i++) run();
  const start = performance.now();
  let passes = 0;
  while (performance.now() - start < 1000) {
    run();
    passes++;
  }
  const ms = (performance.now() - start) / passes;
  console.log(`${label.padEnd(28)} ${(bytes.length / 1e3 / ms).toFixed(0).padStart(6)} MB/s ${(ms * 1000).toFixed(0).padStart(7)} µs/pass`);
}

let events = 0;
const parser = new ssekit.SseParser({ onEvent: () => events++ });
measure("SseParser.feed", () => parser.feed(bytes));
const floor = new TextDecoder();
measure("TextDecoder.decode only", () => floor.decode(bytes, { stream: true }));
const decoder = new TextDecoder();
const reference = createParser({ onEvent: () => events++ });
measure("eventsource-parser", () => reference.feed(decoder.decode(bytes, { stream: true })));
