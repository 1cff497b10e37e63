// Consumer tests of the npm package as published: target/ssekit.tgz (from
// scripts/build-package.sh) is installed into scratch projects under
// target/consumers/, then
//   - a Node program imports it by name (parser, encoder, EventSource);
//   - a plain <script type="module"> page imports its web entry;
//   - a Vite 7 app imports it by name and is built with `vite build`;
// and both pages, in headless Chromium, subscribe to the hub worker in
// workerd (Miniflare) with a token header and must receive what is published.
//
//   scripts/build-package.sh && scripts/build-worker.sh && node --test tests/package/*.test.mjs   # Node >= 22
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { launchChromium } from "../../scripts/js/chromium.mjs";
import { startHub, publish as publishTo } from "../worker/hub.mjs";

const root = resolve(import.meta.dirname, "../..");
const scratch = join(root, "target/consumers");
const tarball = join(root, "target/ssekit.tgz");
const SUBSCRIBE_TOKEN = "package-sub-token";
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".css": "text/css" };

let hub;
let browser;
const servers = [];

/** Installs the packed package into a new scratch project. */
function consumerProject(name) {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", tarball], { cwd: dir, stdio: "pipe" });
  return dir;
}

/** Serves `dir` statically on a loopback port; returns its origin. */
async function serve(dir) {
  const server = http.createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    if (path.includes("..")) return res.writeHead(400).end();
    try {
      const body = await readFile(join(dir, path));
      res.writeHead(200, { "Content-Type": types[extname(path)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

async function publish(channel, data) {
  assert.equal((await publishTo(hub.url, channel, { data })).status, 201);
}

/** Opens `url` in Chromium, waits for the page's EventSource to open,
 * publishes three events and returns what the page received. */
async function receiveInPage(url, channel) {
  const page = await browser.newPage();
  try {
    await page.goto(`${url}?hub=${encodeURIComponent(hub.url)}&channel=${channel}&token=${SUBSCRIBE_TOKEN}`);
    await page.waitForFunction(() => window.received?.opened === true, null, { timeout: 10_000 });
    for (const word of ["alpha", "beta", "gamma"]) await publish(channel, word);
    await page.waitForFunction(() => window.received.events.length >= 3, null, { timeout: 10_000 });
    return await page.evaluate(() => {
      window.source.close();
      return window.received;
    });
  } finally {
    await page.close();
  }
}

before(async () => {
  hub = await startHub({ vars: { SUBSCRIBE_TOKEN } });
  browser = await launchChromium({ label: "ssekit-package-test" });
});

after(async () => {
  await browser?.close();
  await hub?.stop();
  for (const server of servers) server.close();
});

test("Node imports the parser, the encoder and EventSource by package name", () => {
  const dir = consumerProject("node");
  cpSync(join(root, "tests/package/node-consumer.mjs"), join(dir, "main.mjs"));
  const output = JSON.parse(execFileSync(process.execPath, ["main.mjs"], { cwd: dir, encoding: "utf8" }));
  assert.equal(output.wire, "event: greeting\nid: 1\ndata: hello\ndata: world\n\n");
  assert.deepEqual(output.events, [{ type: "greeting", data: "hello\nworld", lastEventId: "1", id: "1" }]);
  assert.equal(output.refused, "SseEncodeError");
  assert.equal(output.eventSource, "function");
});

test("a plain <script type=module> page imports the web entry and receives events", async () => {
  const dir = consumerProject("plain");
  cpSync(join(root, "tests/package/plain-page.html"), join(dir, "index.html"));
  const origin = await serve(dir);
  const received = await receiveInPage(`${origin}/`, `plain-${process.pid}`);
  assert.deepEqual(received.events, [["1", "alpha"], ["2", "beta"], ["3", "gamma"]]);
});

test("a Vite 7 app imports ssekit by name, builds, loads and receives events", async () => {
  const dir = consumerProject("vite-app");
  cpSync(join(root, "tests/package/vite-app"), dir, { recursive: true });
  execFileSync(join(root, "node_modules/.bin/vite"), ["build"], { cwd: dir, stdio: "pipe" });
  const origin = await serve(join(dir, "dist"));
  const received = await receiveInPage(`${origin}/`, `vite-${process.pid}`);
  assert.equal(received.parserCheck, "check:a\nb");
  assert.deepEqual(received.events, [["1", "alpha"], ["2", "beta"], ["3", "gamma"]]);
});
