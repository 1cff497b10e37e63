// End to end in Node 22: ssekit's EventSource and events() against the
// `eventsource` package and a plain fetch + eventsource-parser loop, each
// reading the same 20,000 events of ~100 B of JSON from a local server (a
// child process, benches/browser/server.mjs, so the server's work is not on
// the clients' thread). Time from construction to the last event, median of
// 5 alternating rounds, events/s.
//
//   node benches/node-e2e.mjs [pkg-dir=pkg] [events=20000]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { EventSource as PackageEventSource } from "eventsource";
import { createParser } from "eventsource-parser";

const pkgDir = resolve(process.argv[2] ?? "pkg");
const events = Number(process.argv[3] ?? 20000);
const ssekit = await import(pathToFileURL(`${pkgDir}/node.js`).href);

const server = spawn(process.execPath, ["benches/browser/server.mjs", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = await once(server.stdout, "data");
const port = /listening (\d+)/.exec(String(line))[1];
const url = `http://127.0.0.1:${port}/sse?n=${events}&size=100`;

// Each client resolves once it has seen `events` messages.
const clients = {
  "ssekit EventSource": () =>
    new Promise((done) => {
      let seen = 0;
      const source = new ssekit.EventSource(url);
      source.onmessage = () => {
        if (++seen === events) {
          source.close();
          done();
        }
      };
    }),
  "eventsource package": () =>
    new Promise((done) => {
      let seen = 0;
      const source = new PackageEventSource(url);
      source.onmessage = () => {
        if (++seen === events) {
          source.close();
          done();
        }
      };
    }),
  "ssekit events()": async () => {
    let seen = 0;
    for await (const message of ssekit.events(url)) {
      if (message.data && ++seen === events) break;
    }
  },
  "fetch + eventsource-parser": async () => {
    let seen = 0;
    const controller = new AbortController();
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const parser = createParser({ onEvent: () => seen++ });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    while (seen < events) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    controller.abort();
  },
};

const results = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
for (let round = 0; round < 6; round++) {
  for (const [name, run] of Object.entries(clients)) {
    const started = performance.now();
    await run();
    const ms = performance.now() - started;
    // The first round warms the JIT and the sockets up.
    if (round > 0) results[name].push((events / ms) * 1000);
    await new Promise((r) => setTimeout(r, 200));
  }
}
server.kill();

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = Object.fromEntries(Object.entries(results).map(([name, values]) => [name, median(values)]));
console.log(`Node ${process.version}, ${events} events of ~100 B, median of 5 rounds:`);
for (const [name, value] of Object.entries(rate)) console.log(`  ${name.padEnd(28)} ${Math.round(value).toLocaleString("en-US").padStart(9)} events/s`);
const ratio = (a, b) => (rate[a] / rate[b]).toFixed(2);
console.log(`EventSource: ssekit / eventsource package = ${ratio("ssekit EventSource", "eventsource package")}x (target >= 1.5x)`);
console.log(`events(): ssekit / fetch + eventsource-parser = ${ratio("ssekit events()", "fetch + eventsource-parser")}x (target >= 0.8x)`);
