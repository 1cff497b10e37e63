// Consumer tests of the npm package as published: target/ssekit.tgz (from
// `cargo xtask build package`) is installed into scratch projects under
// target/consumers/, then
//   - a Node program imports it by name (parser, encoder, EventSource);
//   - a plain <script type="module"> page imports its web entry, and so
//     does a dedicated module Worker started by a page;
//   - a Vite 7 app imports it by name and is built with `vite build`;
//   - a webpack 5 app imports it by name and is built with no configuration;
//   - CommonJS `require("ssekit")` in Node 20 and 22;
//   - a Cloudflare Worker imports it by name (bundled by wrangler, run in
//     workerd) and reads an upstream stream with its EventSource;
// and the pages, in headless Chromium, subscribe to the hub worker in
// workerd (Miniflare) with a token header and must receive what is published.
//
//   cargo xtask build package && cargo xtask build worker && node --test tests/package/*.test.mjs   # Node >= 22
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { launchChromium } from "../support/chromium.mjs";
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
      return { ...window.received, fetches: window.fetches };
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
  // The first request leaves while the wasm is still loading, and it is the
  // one the source reads: one request for the stream, no second.
  const streams = received.fetches.filter((f) => f.url.includes("/events"));
  assert.deepEqual(streams.map((f) => f.wasmLoaded), [false], JSON.stringify(received.fetches));
});

test("a dedicated module Worker imports the web entry and receives events", async () => {
  const dir = consumerProject("worker");
  cpSync(join(root, "tests/package/worker-page.html"), join(dir, "index.html"));
  cpSync(join(root, "tests/package/worker.js"), join(dir, "worker.js"));
  const origin = await serve(dir);
  const received = await receiveInPage(`${origin}/`, `worker-${process.pid}`);
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

test("a webpack 5 app builds with no configuration, loads and receives events", async () => {
  const dir = consumerProject("webpack-app");
  mkdirSync(join(dir, "src"));
  cpSync(join(root, "tests/package/vite-app/main.js"), join(dir, "src/index.js"));
  execFileSync(process.execPath, [join(root, "node_modules/webpack-cli/bin/cli.js"), "--mode", "production"], { cwd: dir, stdio: "pipe" });
  writeFileSync(join(dir, "dist/index.html"), '<!doctype html><ul id="events"></ul><script src="main.js"></script>');
  assert.ok(readdirSync(join(dir, "dist")).some((file) => file.endsWith(".wasm")), "webpack emitted the wasm as an asset");
  const origin = await serve(join(dir, "dist"));
  const received = await receiveInPage(`${origin}/`, `webpack-${process.pid}`);
  assert.equal(received.parserCheck, "check:a\nb");
  assert.deepEqual(received.events, [["1", "alpha"], ["2", "beta"], ["3", "gamma"]]);
});

test("CommonJS require('ssekit') works in Node 20 and Node 22", () => {
  const dir = consumerProject("cjs");
  writeFileSync(
    join(dir, "main.cjs"),
    `const { SseParser, EventSource, encodeEvent } = require("ssekit");
console.log(JSON.stringify({ events: new SseParser().feed(encodeEvent({ data: "x" })), es: EventSource.name }));`,
  );
  for (const node of ["node", process.execPath]) {
    const output = JSON.parse(execFileSync(node, ["main.cjs"], { cwd: dir, encoding: "utf8" }));
    assert.deepEqual(output, { events: [{ type: "message", data: "x", lastEventId: "" }], es: "EventSource" }, node);
  }
});

test("a Cloudflare Worker imports ssekit by name; its EventSource reads an upstream, each handler once per event", async () => {
  const dir = consumerProject("workerd");
  cpSync(join(root, "tests/package/workerd-app"), dir, { recursive: true });
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", DO_NOT_TRACK: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  execFileSync(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", "build"], { cwd: dir, env, stdio: "pipe" });
  // The upstream: three events, then the stream stays open.
  const upstream = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.write("id: 1\ndata: one\n\nid: 2\ndata: two\n\n");
    setTimeout(() => res.write("id: 3\ndata: three\n\n"), 20);
  });
  await new Promise((ok) => upstream.listen(0, "127.0.0.1", ok));
  servers.push(upstream);
  const files = readdirSync(join(dir, "build"));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      rootPath: join(dir, "build"),
      modulesRoot: join(dir, "build"),
      modules: [
        { type: "ESModule", path: join(dir, "build/worker.js") },
        ...files.filter((f) => f.endsWith(".wasm")).map((f) => ({ type: "CompiledWasm", path: join(dir, "build", f) })),
      ],
      compatibilityDate: "2026-11-01",
      cf: false,
    }),
  );
  try {
    const response = await mf.dispatchFetch(`http://worker/?n=3&upstream=${encodeURIComponent(`http://127.0.0.1:${upstream.address().port}/`)}`);
    const seen = await response.json();
    assert.deepEqual(seen, {
      onopen: 1,
      onmessage: 3,
      listener: 3,
      data: ["one", "two", "three"],
      lastEventIds: ["1", "2", "3"],
      states: [1, 2],
      parsed: "parser ready at import",
      tag: "[object EventSource]",
    });
  } finally {
    await mf.dispose();
  }
});
