// The browser benchmark, in one page and one run:
// 1. parsers: ssekit's SseParser vs eventsource-parser 4 on the core fixtures,
//    both fed the same Uint8Array chunks (eventsource-parser through a
//    streaming TextDecoder, as a real client must);
// 2. end to end from the local server: ssekit's EventSource (and its
//    events() iterator) vs the native EventSource vs
//    @microsoft/fetch-event-source, in events per second.
// Results land in window.benchResults (read by run.mjs).
import { SseParser, EventSource as SsekitEventSource, events, ready } from "/pkg/index.js";
import { createParser } from "/node_modules/eventsource-parser/dist/index.js";
import { fetchEventSource } from "/node_modules/@microsoft/fetch-event-source/lib/esm/index.js";

const out = document.getElementById("out");
const log = (line) => {
  out.textContent += `\n${line}`;
  console.log(line);
};

function chunksOf(bytes, size) {
  if (!size) return [bytes];
  const chunks = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const parsers = {
  ssekit(chunks) {
    const parser = new SseParser();
    let events = 0;
    for (const chunk of chunks) events += parser.feed(chunk).length;
    return events;
  },
  "eventsource-parser"(chunks) {
    let events = 0;
    const decoder = new TextDecoder();
    const parser = createParser({ onEvent() { events++; } });
    for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
    return events;
  },
};

// Runs fn repeatedly for at least minMs and returns the mean time per run.
// (Timers in a page are coarse, so single sub-millisecond runs are not timed.)
function measure(fn, minMs = 300) {
  let result = fn(); // warm-up
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || runs < 3) {
    result = fn();
    runs++;
    elapsed = performance.now() - start;
  }
  return { ms: elapsed / runs, result, runs };
}

async function parserBench() {
  const manifest = await (await fetch("/target/bench-fixtures/manifest.json")).json();
  const rows = [];
  for (const fixture of manifest) {
    const bytes = new Uint8Array(await (await fetch(`/target/bench-fixtures/${fixture.file}`)).arrayBuffer());
    const chunks = chunksOf(bytes, fixture.chunk);
    const row = { name: fixture.name, bytes: bytes.length, chunk: fixture.chunk, dataHeavy: fixture.dataHeavy };
    // Alternate to spread any drift evenly; keep each one's best.
    for (let round = 0; round < 4; round++) {
      for (const [name, parse] of Object.entries(parsers)) {
        const { ms, result } = measure(() => parse(chunks));
        const mbps = bytes.length / (ms / 1000) / 1e6;
        row[name] = Math.max(row[name] ?? 0, mbps);
        row[`${name} events`] = result;
      }
    }
    log(`${fixture.name}: ssekit ${row.ssekit.toFixed(0)} MB/s, eventsource-parser ${row["eventsource-parser"].toFixed(0)} MB/s`);
    rows.push(row);
  }
  return rows;
}

// Counts messages from an EventSource-compatible class until the n-th.
function eventSourceClient(EventSourceClass, name) {
  return (url, n) =>
    new Promise((resolve, reject) => {
      let seen = 0;
      const source = new EventSourceClass(url);
      source.onmessage = () => {
        if (++seen === n) {
          source.close();
          resolve();
        }
      };
      source.onerror = () => {
        if (seen < n) reject(new Error(`${name}: error after ${seen}`));
      };
    });
}

const clients = {
  native: eventSourceClient(EventSource, "native"),
  ssekit: (url, n) => eventSourceClient(SsekitEventSource, "ssekit")(url, n),
  async "ssekit events()"(url, n) {
    let seen = 0;
    for await (const message of events(url)) {
      if (++seen === n) break; // return(): closes the source
    }
  },
  "fetch-event-source"(url, n) {
    const controller = new AbortController();
    return new Promise((resolve, reject) => {
      let seen = 0;
      fetchEventSource(url, {
        signal: controller.signal,
        openWhenHidden: true,
        onmessage() {
          if (++seen === n) {
            controller.abort();
            resolve();
          }
        },
        onerror(error) {
          reject(error);
          throw error;
        },
      }).catch(() => {});
    });
  },
};

async function endToEndBench(n = 20000, size = 100) {
  const results = {};
  for (let round = 0; round < 3; round++) {
    for (const [name, run] of Object.entries(clients)) {
      // A pause between clients: a connection opened right after a native
      // EventSource closed waited ~200 ms for its response (open after
      // 180–245 ms instead of 5–12 ms), a cost of the one before it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const t0 = performance.now();
      await run(`/sse?n=${n}&size=${size}`, n);
      const eventsPerSecond = n / ((performance.now() - t0) / 1000);
      (results[name] ??= []).push(eventsPerSecond);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = Object.fromEntries(Object.entries(results).map(([name, xs]) => [name, median(xs)]));
  log(`end to end (${n} events of ~${size} B): ${JSON.stringify(rows)}`);
  return { n, size, eventsPerSecond: rows };
}

try {
  await ready;
  const parsersResult = await parserBench();
  const endToEnd = await endToEndBench();
  window.benchResults = { parsers: parsersResult, endToEnd, userAgent: navigator.userAgent };
  log("done");
} catch (error) {
  window.benchResults = { error: String(error && error.stack ? error.stack : error) };
  log(`failed: ${error}`);
}
