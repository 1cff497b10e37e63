// Runtime figures of the package in headless Chromium (a report, not a test;
// `cargo xtask bench runtime --report` runs it and writes the runtime section of
// BENCHMARKS.md):
// 1. memory: the JS heap (after a forced GC) and the wasm memory with one
//    ssekit EventSource after its first 1,000 events, and after 100,000
//    events and 1,000 reconnects (the server ends every stream after 100);
// 2. main-thread time per event at a steady 1,000 events/s for `seconds`,
//    ssekit's EventSource vs the native one, and ssekit's events() and
//    fetch-event-source (no DOM event per message) as a reference for what
//    reading a fetch() body costs (CDP TaskDuration);
// 3. import and first event on a slow link (100 ms latency, 100 KB/s, cache
//    off): the package's lazy entry vs the previous release's entry, which
//    waited for its wasm with top-level await (when `oldEntry` is built), and
//    the native EventSource as the floor. Median of 5, alternating.
//
//   node benches/browser/runtime.mjs http://127.0.0.1:PORT [seconds=60] [oldEntry] > runtime.json
import { launchChromium } from "../../tests/support/chromium.mjs";

const [origin, secondsArg, oldEntry] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 60);
const browser = await launchChromium({ label: "ssekit-runtime" });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => process.stderr.write(`${line}\n`);

async function until(page, predicate, arg, timeoutMs) {
  await page.waitForFunction(predicate, arg, { timeout: timeoutMs, polling: 50 });
}

async function memory() {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await page.goto(`${origin}/benches/browser/blank.html`);
  await page.evaluate(async () => {
    // The package hands out no wasm exports: its instance is caught as it
    // is made, to read the size of its memory.
    const Instance = WebAssembly.Instance;
    WebAssembly.Instance = function (module, imports) {
      window.wasm = new Instance(module, imports).exports;
      return { exports: window.wasm };
    };
    const ssekit = await import("/pkg/index.js");
    await ssekit.ready;
    WebAssembly.Instance = Instance;
    window.count = 0;
    window.errors = 0;
    window.source = new ssekit.EventSource("/sse?n=100&size=100", { retry: { initialMs: 0 } });
    window.source.onmessage = () => window.count++;
    window.source.onerror = () => window.errors++;
  });
  const measure = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    const [count, errors, wasmBytes] = await page.evaluate(() => [window.count, window.errors, window.wasm.memory.buffer.byteLength]);
    return { events: count, reconnects: errors, jsHeap: usedSize, wasmMemory: wasmBytes };
  };
  await until(page, () => window.count >= 1000, null, 60_000);
  const early = await measure();
  log(`memory after ${early.events} events: ${JSON.stringify(early)}`);
  await until(page, () => window.count >= 100_000, null, 600_000);
  const late = await measure();
  log(`memory after ${late.events} events: ${JSON.stringify(late)}`);
  await page.evaluate(() => window.source.close());
  await page.close();
  return { early, late };
}

async function mainThread(client) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.goto(`${origin}/benches/browser/blank.html`);
  await page.evaluate(async () => {
    window.ssekit = await import("/pkg/index.js");
    await window.ssekit.ready;
    window.fes = await import("/node_modules/@microsoft/fetch-event-source/lib/esm/index.js");
  });
  const metric = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return Object.fromEntries(metrics.map(({ name, value }) => [name, value]));
  };
  const before = await metric();
  const total = 1000 * seconds;
  await page.evaluate(
    ({ client, url }) => {
      window.count = 0;
      if (client === "ssekit events()") {
        (async () => {
          for await (const message of window.ssekit.events(url)) {
            if (++window.count === window.total) break;
          }
        })();
        return;
      }
      if (client === "fetch-event-source") {
        const controller = new AbortController();
        window.fes.fetchEventSource(url, {
          signal: controller.signal,
          openWhenHidden: true,
          onmessage() {
            if (++window.count === window.total) controller.abort();
          },
        });
        return;
      }
      const Class = client === "native" ? EventSource : window.ssekit.EventSource;
      const source = new Class(url);
      source.onmessage = () => {
        if (++window.count === window.total) source.close();
      };
    },
    { client, url: `/steady?rate=1000&seconds=${seconds}` },
  );
  await page.evaluate((total) => (window.total = total), total);
  await until(page, (total) => window.count >= total, total, (seconds + 60) * 1000);
  const after = await metric();
  await page.close();
  const task = after.TaskDuration - before.TaskDuration;
  const script = after.ScriptDuration - before.ScriptDuration;
  const row = { client, events: total, taskMs: task * 1000, scriptMs: script * 1000, usPerEvent: (task * 1e6) / total };
  log(`main thread ${client}: ${JSON.stringify(row)}`);
  return row;
}

async function firstEvent(entry) {
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 100,
    downloadThroughput: 100 * 1024,
    uploadThroughput: 100 * 1024,
  });
  await page.goto(`${origin}/benches/browser/blank.html?entry=${encodeURIComponent(entry)}`);
  await until(page, () => window.firstEvent !== undefined, null, 60_000);
  const times = await page.evaluate(() => ({ imported: window.imported, firstEvent: window.firstEvent }));
  await page.close();
  return times;
}

async function slowLink() {
  const entries = { native: "native", ssekit: "/pkg/index.js" };
  if (oldEntry) entries["previous release (top-level await)"] = oldEntry;
  const runs = Object.fromEntries(Object.keys(entries).map((name) => [name, []]));
  for (let round = 0; round < 5; round++) {
    for (const [name, entry] of Object.entries(entries)) runs[name].push(await firstEvent(entry));
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = Object.entries(runs).map(([name, xs]) => ({
    client: name,
    importMs: median(xs.map((x) => x.imported)),
    firstEventMs: median(xs.map((x) => x.firstEvent)),
  }));
  log(`slow link: ${JSON.stringify(rows)}`);
  return rows;
}

try {
  const results = { browser: browser.version, seconds };
  results.slowLink = await slowLink();
  results.memory = await memory();
  results.mainThread = [];
  const clients = ["native", "ssekit", "ssekit events()", "fetch-event-source"];
  for (const client of seconds >= 30 ? clients : [...clients, ...clients]) {
    results.mainThread.push(await mainThread(client));
    await sleep(200);
  }
  process.stdout.write(JSON.stringify(results, null, 2));
} finally {
  await browser.close();
}
