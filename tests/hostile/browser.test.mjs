// Hostile streams in headless Chromium: the web build's SseParser fed
// gigabytes in the page, and the EventSource reading hostile streams from
// the test server. Each must end in the expected events and errors without
// a wasm trap, and the wasm memory (which never shrinks, so its size is the
// peak) must stay within a bound of the event size limit.
//
//   SSEKIT_PKG=pkg node --test tests/hostile/browser.test.mjs   # Node >= 22
//
// SSEKIT_HOSTILE_JSON=path also writes the figures (`cargo xtask hostile`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { launchChromium } from "../support/chromium.mjs";
import { startSseServer } from "../support/sse-server.mjs";
import { servePackage } from "../support/package-server.mjs";

const MIB = 1 << 20;
const LIMIT = 16 * MIB; // the default
const figures = { parser: [], eventSource: [] };
let browser, page, tab, server, serverUrl;


before(async () => {
  server = await startSseServer();
  serverUrl = server.url;
  page = await servePackage(process.env.SSEKIT_PKG ?? "pkg");
  browser = await launchChromium({ label: "ssekit-hostile" });
  tab = await browser.newPage();
  tab.on("pageerror", (error) => assert.fail(`page error: ${error}`));
  await tab.goto(`${page.origin}/`);
  await tab.evaluate(async () => {
    // The package hands out no wasm exports: its instance is caught as it
    // is made, to read the size of its memory.
    const Instance = WebAssembly.Instance;
    let instance;
    WebAssembly.Instance = function (module, imports) {
      instance = new Instance(module, imports);
      return instance;
    };
    const ssekit = await import("/pkg/index.js");
    await ssekit.ready;
    WebAssembly.Instance = Instance;
    window.ssekit = ssekit;
    window.wasmMemory = () => instance.exports.memory.buffer.byteLength;
    // Every scenario's figures: what it saw, its time, the wasm memory.
    window.figures = (seen, started, memoryBefore) => ({
      ...seen,
      dataLengths: [...seen.dataLengths],
      seconds: (performance.now() - started) / 1000,
      memoryBefore,
      memoryAfter: window.wasmMemory(),
    });
  });
});

after(async () => {
  await browser?.close();
  page?.close();
  server?.stop();
  if (process.env.SSEKIT_HOSTILE_JSON) writeFileSync(process.env.SSEKIT_HOSTILE_JSON, JSON.stringify(figures, null, 2));
});

/**
 * Feeds SseParser in the page: `parts` are [text, bytes] (once) or
 * [unit, total] repeats, as byte arrays built in the page.
 */
async function feedInPage(name, parts) {
  const seen = await tab.evaluate(
    async ({ parts }) => {
      const encode = (part) => (typeof part === "string" ? new TextEncoder().encode(part) : new Uint8Array(part));
      const seen = { events: 0, errors: 0, retries: [], lastData: null, dataLengths: new Set(), fed: 0 };
      const parser = new window.ssekit.SseParser({
        onEvent: (event) => {
          seen.events++;
          seen.dataLengths.add(event.data.length);
          if (event.data.length <= 64) seen.lastData = event.data;
        },
        onError: (error) => {
          if (error.name !== "SseParseError") throw error;
          seen.errors++;
        },
        onRetry: (ms) => seen.retries.push(ms),
      });
      const memoryBefore = window.wasmMemory();
      const started = performance.now();
      for (const part of parts) {
        if (part.once !== undefined) {
          const bytes = encode(part.once);
          parser.feed(bytes);
          seen.fed += bytes.length;
          continue;
        }
        const unit = encode(part.unit);
        const block = new Uint8Array(Math.floor(65536 / unit.length) * unit.length);
        for (let i = 0; i < block.length; i += unit.length) block.set(unit, i);
        for (let left = part.total; left > 0; left -= block.length) {
          parser.feed(left >= block.length ? block : block.subarray(0, left));
        }
        seen.fed += part.total;
      }
      parser.free?.();
      return window.figures(seen, started, memoryBefore);
    },
    { parts },
  );
  figures.parser.push({ name, ...seen });
  return seen;
}

const once = (text) => ({ once: text });
const repeat = (unit, total) => ({ unit, total });
const bytes = (byte, n) => Array(n).fill(byte);
const thenAfter = once("\n\ndata: after\n\n");

function assertRecovered(seen) {
  assert.equal(seen.errors, 1, JSON.stringify(seen));
  assert.equal(seen.events, 1, JSON.stringify(seen));
  assert.equal(seen.lastData, "after");
}

// Wasm memory only grows; whatever the parser needed at its peak is what
// it has now. Natively the parser's heap peaks at 2x the limit (tests/hostile).
function assertBoundedMemory(seen) {
  assert.ok(seen.memoryAfter <= 3 * LIMIT + 8 * MIB, `wasm memory ${seen.memoryAfter} bytes`);
}

test("SseParser: a 1 GiB data line with no newline is one error, then parsing goes on", { timeout: 120_000 }, async () => {
  const seen = await feedInPage("1 GiB data line, no newline", [once("data: "), repeat("x", 1024 * MIB), thenAfter]);
  assertRecovered(seen);
  assertBoundedMemory(seen);
});

test("SseParser: 1 GiB of data lines with no blank line is one error", { timeout: 120_000 }, async () => {
  const seen = await feedInPage("1 GiB of 1 KiB data lines, no blank line", [repeat(`data: ${"y".repeat(1017)}\n`, 1024 * MIB), thenAfter]);
  assertRecovered(seen);
  assertBoundedMemory(seen);
});

test("SseParser: a million tiny events all arrive", { timeout: 120_000 }, async () => {
  const seen = await feedInPage("1 million tiny events", [repeat("data:x\n\n", 8 * 1_000_000)]);
  assert.equal(seen.events, 1_000_000);
  assert.equal(seen.errors, 0);
  assert.deepEqual(seen.dataLengths, [1]);
  assertBoundedMemory(seen);
});

test("SseParser: floods of invalid UTF-8 decode to U+FFFD or end in one error", { timeout: 120_000 }, async () => {
  // 4,088 invalid bytes per event: 4,088 U+FFFD, one UTF-16 unit each.
  const framed = [...new TextEncoder().encode("data: "), ...bytes(0xff, 4088), 10, 10];
  let seen = await feedInPage("64 MiB of invalid UTF-8 in 4 KiB events", [repeat(framed, 64 * MIB)]);
  assert.equal(seen.events, (64 * MIB) / 4096);
  assert.deepEqual(seen.dataLengths, [4088]);
  assertBoundedMemory(seen);
  seen = await feedInPage("1 GiB of invalid UTF-8, no newline", [repeat([0x80], 1024 * MIB), thenAfter]);
  assertRecovered(seen);
  // Within the limit as raw bytes, three times over it decoded.
  seen = await feedInPage("16 MiB data line of invalid UTF-8", [once("data: "), repeat([0xc0], LIMIT - 16), thenAfter]);
  assertRecovered(seen);
  assertBoundedMemory(seen);
});

test("SseParser: huge field names and absurd retry values", { timeout: 120_000 }, async () => {
  let seen = await feedInPage("256 MiB field name", [repeat("f", 256 * MIB), once(": value"), thenAfter]);
  assertRecovered(seen);
  seen = await feedInPage("1 GiB retry value", [once("retry: "), repeat("9", 1024 * MIB), thenAfter]);
  assertRecovered(seen);
  seen = await feedInPage("absurd retry values", [
    once("retry: 99999999999999999999999999999\nretry: -1\nretry: 1e9\nretry: 5 \nretry: 18446744073709551616\ndata: r\n\n"),
  ]);
  // Digits only; too large saturates at 2^64 - 1 (a JS number rounds it to 2^64).
  assert.deepEqual(seen.retries, [2 ** 64, 2 ** 64]);
  assert.equal(seen.lastData, "r");
  assertBoundedMemory(seen);
});

/** Opens an EventSource on /hostile in the page; resolves when "after" arrives. */
async function eventSourceInPage(name, query) {
  const seen = await tab.evaluate(
    async ({ url }) => {
      const seen = { messages: 0, parseErrors: 0, otherErrors: 0, lastData: null, dataLengths: new Set() };
      const memoryBefore = window.wasmMemory();
      const started = performance.now();
      const source = new (window.ssekit.EventSource)(url);
      await new Promise((done, fail) => {
        source.onmessage = (e) => {
          seen.messages++;
          seen.dataLengths.add(e.data.length);
          if (e.data.length <= 64) seen.lastData = e.data;
          if (e.data === "after") done();
        };
        source.onerror = (e) => {
          if (e.error?.name === "SseParseError") seen.parseErrors++;
          else {
            seen.otherErrors++;
            fail(new Error(`error event: readyState ${source.readyState} ${e.error ?? ""}`));
          }
        };
      });
      source.close();
      return window.figures(seen, started, memoryBefore);
    },
    { url: `${serverUrl}/hostile?${query}` },
  );
  figures.eventSource.push({ name, query, ...seen });
  return seen;
}

test("EventSource: hostile streams over the network end in errors or events, the connection stays up", { timeout: 300_000 }, async () => {
  let seen = await eventSourceInPage("256 MiB data line, no newline", `kind=line&bytes=${256 * MIB}`);
  assert.deepEqual([seen.parseErrors, seen.messages, seen.otherErrors], [1, 1, 0], JSON.stringify(seen));
  assertBoundedMemory(seen);
  seen = await eventSourceInPage("256 MiB of 1 KiB data lines, no blank line", `kind=lines&bytes=${256 * MIB}`);
  assert.deepEqual([seen.parseErrors, seen.messages, seen.otherErrors], [1, 1, 0], JSON.stringify(seen));
  seen = await eventSourceInPage("64 MiB of invalid UTF-8 in 4 KiB events", `kind=invalid&bytes=${64 * MIB}`);
  assert.equal(seen.messages, (64 * MIB) / 4096 + 1);
  assert.deepEqual(seen.dataLengths.sort((a, b) => a - b), [5, 4088]);
  seen = await eventSourceInPage("a million tiny events", `kind=tiny&bytes=${8 * 1_000_000}`);
  assert.equal(seen.messages, 1_000_001);
  assertBoundedMemory(seen);
  // And the module still works.
  const ok = await tab.evaluate(() => new window.ssekit.SseParser().feed("data: fine\n\n")[0].data);
  assert.equal(ok, "fine");
});
