// Headless Chromium against the hub in workerd: the browser's native
// EventSource and the ssekit client (the web build, with a token header,
// credentials and an initial Last-Event-ID), from a page on another origin,
// so CORS with credentials is exercised for real.
//
//   SSEKIT_PKG=pkg node --test tests/worker/browser.test.mjs   # Node >= 22
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { launchChromium } from "../support/chromium.mjs";
import { startHub, publish as publishTo } from "./hub.mjs";

const pkgDir = resolve(process.env.SSEKIT_PKG ?? "pkg");
const SUBSCRIBE_TOKEN = "browser-sub-token";
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

let pageServer;
let pageOrigin;
let hub;
let browser;

before(async () => {
  // The page's origin: a blank page plus the web package under /pkg/.
  pageServer = http.createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    try {
      if (path === "/") {
        res.writeHead(200, { "Content-Type": "text/html" });
        res.end("<!doctype html><title>ssekit hub test</title>");
        return;
      }
      if (!path.startsWith("/pkg/") || path.includes("..")) throw new Error("not found");
      const body = await readFile(join(pkgDir, path.slice("/pkg/".length)));
      res.writeHead(200, { "Content-Type": types[extname(path)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => pageServer.listen(0, "127.0.0.1", ok));
  pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  hub = await startHub({ vars: { SUBSCRIBE_TOKEN, ALLOWED_ORIGINS: pageOrigin } });
  browser = await launchChromium({ label: "ssekit-hub-test" });
});

after(async () => {
  await browser?.close();
  await hub?.stop();
  pageServer?.close();
});

async function publish(channel, body) {
  assert.equal((await publishTo(hub.url, channel, body)).status, 201);
}

test("native EventSource and the ssekit client both receive exactly the published events", async () => {
  const channel = `browser-${process.pid}`;
  await publish(channel, { event: "note", data: "old 1" });
  await publish(channel, { event: "note", data: "old 2" });

  const page = await browser.newPage();
  await page.goto(`${pageOrigin}/`);
  await page.evaluate(
    async ({ hubUrl, channel, token }) => {
      const ssekit = await import("/pkg/index.js");
      await ssekit.ready;
      const SsekitEventSource = ssekit.EventSource;
      const url = `${hubUrl}/channels/${channel}/events`;
      const log = (window.received = { native: [], ssekit: [], states: [] });
      const record = (list) => (e) => list.push([e.type, e.lastEventId, e.data, e.origin]);
      // The native one cannot send headers: token in the query string.
      const native = new EventSource(`${url}?token=${token}`, { withCredentials: true });
      native.addEventListener("note", record(log.native));
      const client = new SsekitEventSource(url, {
        headers: { Authorization: `Bearer ${token}` },
        credentials: "include",
        lastEventId: "1",
      });
      log.states.push(client.readyState);
      client.addEventListener("note", record(log.ssekit));
      client.onerror = (e) => log.states.push(`error ${e.status ?? ""}`);
      const opened = (source) => new Promise((ok) => source.addEventListener("open", ok, { once: true }));
      await Promise.all([opened(native), opened(client)]);
      log.states.push(client.readyState);
      window.sources = [native, client];
    },
    { hubUrl: hub.url, channel, token: SUBSCRIBE_TOKEN },
  );

  for (let i = 1; i <= 5; i++) await publish(channel, { event: "note", data: `live ${i}` });
  await page.waitForFunction(() => window.received.native.length >= 5 && window.received.ssekit.length >= 6, null, {
    timeout: 10_000,
  });
  const received = await page.evaluate(() => {
    for (const source of window.sources) source.close();
    return window.received;
  });
  await page.close();

  const origin = hub.url;
  const live = [1, 2, 3, 4, 5].map((i) => ["note", String(i + 2), `live ${i}`, origin]);
  assert.deepEqual(received.native, live);
  // ssekit resumed after id 1: the replayed "old 2", then the same live events.
  assert.deepEqual(received.ssekit, [["note", "2", "old 2", origin], ...live]);
  assert.deepEqual(received.states, [0, 1]);
});

test("the ssekit client fails for good on 401 and exposes the status", async () => {
  const page = await browser.newPage();
  await page.goto(`${pageOrigin}/`);
  const outcome = await page.evaluate(async (hubUrl) => {
    const ssekit = await import("/pkg/index.js");
    await ssekit.ready;
    const SsekitEventSource = ssekit.EventSource;
    const source = new SsekitEventSource(`${hubUrl}/channels/locked/events`, {
      headers: { Authorization: "Bearer wrong" },
    });
    return new Promise((ok) => {
      source.onerror = (e) => ok({ status: e.status, readyState: source.readyState });
    });
  }, hub.url);
  await page.close();
  assert.deepEqual(outcome, { status: 401, readyState: 2 });
});
