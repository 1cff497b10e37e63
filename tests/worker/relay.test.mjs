// The hub's relay route (POST /relay/{name}, on ssekit_workers::Relay) in
// real workerd (Miniflare's Node API) against a real local upstream
// (tests/worker/upstream.mjs): exact relayed events through hostile chunk
// boundaries, the server-side credential, allowed body fields, the upstream
// aborted when the client leaves, and every upstream failure ending the
// relay with a clear final error event, never a hang.
//
//   cargo xtask build worker && node --test tests/worker/relay.test.mjs   # Node >= 22
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { startHub } from "./hub.mjs";
import { open } from "./sse-client.mjs";
import { startUpstream, upstreamCallsOf, CHAT_EXPECTED, CHAT_CHUNKS, HUGE_EVENT_BYTES } from "./upstream.mjs";

const HEARTBEAT_MS = 300;
const SECRET = "Bearer sk-test-SECRET-6d1f0c";
// What a caller of the relays presents (RELAY_<NAME>_TOKEN): every relay
// needs a credential (security.test.mjs tests the refusals).
const RELAY_TOKEN = "relay-caller-token";
// How late the abort may reach the upstream after the heartbeat that
// detects the client left: scheduling on a busy machine, not protocol.
const SLACK_MS = 400;

/** A loopback port nothing listens on (one that was just freed). */
async function closedPort() {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

let upstream;
let hub;
before(async () => {
  upstream = await startUpstream();
  const relays = {
    CHAT: "/chat",
    FAIL: "/status500",
    HTML: "/html",
    CUT: "/cut",
    HUGE: "/huge",
    HOLD: "/hold",
    SILENT: "/silent",
  };
  const vars = { HEARTBEAT_MS: String(HEARTBEAT_MS) };
  for (const [name, path] of Object.entries(relays)) {
    vars[`RELAY_${name}_URL`] = `${upstream.url}${path}`;
    vars[`RELAY_${name}_AUTHORIZATION`] = SECRET;
    vars[`RELAY_${name}_TOKEN`] = RELAY_TOKEN;
    vars[`RELAY_${name}_RATE`] = "10000/min";
  }
  vars.RELAY_CHAT_FIELDS = "messages,temperature";
  vars.RELAY_CHAT_BODY = JSON.stringify({ model: "test-model", stream: true });
  vars.RELAY_DOWN_URL = `http://127.0.0.1:${await closedPort()}/v1`;
  vars.RELAY_DOWN_TOKEN = RELAY_TOKEN;
  hub = await startHub({ vars });
});
after(async () => {
  await hub?.stop();
  await upstream?.stop();
});

const CALLER = { Authorization: `Bearer ${RELAY_TOKEN}`, "Content-Type": "application/json" };

const relay = (name, body = {}, headers = {}) =>
  open(`${hub.url}/relay/${name}`, {
    method: "POST",
    headers: { ...CALLER, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** The relay stamps ids 1, 2, … on what it forwards (upstream ids are replaced). */
const stamped = (triples) => triples.map(([type, , data], i) => [type, String(i + 1), data]);

const requestsTo = (path) => upstream.requests.filter((r) => r.path === path);

/** The relayed events as [type, id, data]. */
const triples = (stream) => stream.events.map((e) => [e.type, e.id, e.data]);

test("relays the upstream's events exactly, through hostile chunk boundaries", async () => {
  const before = requestsTo("/chat").length;
  const messages = [{ role: "user", content: "Say hello in three languages" }];
  const stream = await relay("chat", { messages, temperature: 0.2 }, { Origin: "https://app.test" });
  assert.equal(stream.response.status, 200);
  assert.equal(stream.response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(stream.response.headers.get("access-control-allow-origin"), "*");
  await stream.toEnd(5000);
  assert.deepEqual(triples(stream), stamped(CHAT_EXPECTED));
  // An id-only block first: the client's last event ID is set before any
  // event, so every reconnect carries one (and gets 204).
  assert.match(stream.text, /^: connected\n\nid: 0\n\n/);
  // Upstream comments and retry fields are not relayed; the relay's own
  // first comment is.
  assert.deepEqual(stream.items.filter((i) => i.kind === "retry"), []);
  assert.ok(!stream.text.includes("upstream says hi"), stream.text);

  const [request] = requestsTo("/chat").slice(before);
  assert.equal(request.method, "POST");
  assert.equal(request.headers["content-type"], "application/json");
  assert.equal(request.headers.accept, "text/event-stream");
  // The allowed fields, plus the fixed ones from RELAY_CHAT_BODY.
  assert.deepEqual(JSON.parse(request.body), { messages, temperature: 0.2, model: "test-model", stream: true });
});

test("the Authorization secret reaches the upstream and never the client", async () => {
  const before = requestsTo("/chat").length;
  const stream = await relay("chat", { messages: [] });
  await stream.toEnd(5000);
  const [request] = requestsTo("/chat").slice(before);
  assert.equal(request.headers.authorization, SECRET); // not the caller's token
  assert.ok(!stream.text.includes("SECRET"), stream.text);
  for (const [name, value] of stream.response.headers) assert.ok(!value.includes("SECRET"), `${name}: ${value}`);
  // Nor on a refusal, whose upstream body echoes part of the key.
  const refused = await relay("fail");
  await refused.toEnd(5000);
  assert.ok(!refused.text.includes("SECRET") && !refused.text.includes("sk-tes"), refused.text);
});

test("disallowed body fields, bad JSON and unknown relays are refused before any upstream request", async () => {
  const cases = [
    ["chat", JSON.stringify({ messages: [], model: "gpt-expensive" }), 400, 'field "model" is not allowed; allowed: messages, temperature'],
    ["chat", JSON.stringify({ messages: [], stream: false }), 400, 'field "stream" is not allowed; allowed: messages, temperature'],
    ["chat", "not json", 400, "expected a JSON body"],
    ["chat", JSON.stringify([1, 2]), 400, "expected a JSON object"],
    ["nope", "{}", 404, 'no relay named "nope"'],
    ["a.b", "{}", 404, 'no relay named "a.b"'],
  ];
  // A chat relay that passes, after them, is the barrier: a refused one
  // passed on would have reached the upstream before it.
  const barrier = (marker) => relay("chat", { messages: [{ role: "user", content: marker }] }).then((stream) => stream.toEnd(5000));
  const calls = await upstreamCallsOf(upstream, barrier, async () => {
    for (const [name, body, status, message] of cases) {
      const response = await fetch(`${hub.url}/relay/${name}`, { method: "POST", headers: CALLER, body });
      assert.equal(response.status, status, `${name} ${body}`);
      const { error } = await response.json();
      assert.ok(error.startsWith(message), `${name} ${body}: ${error}`);
    }
    assert.equal((await fetch(`${hub.url}/relay/chat`)).status, 405);
    const big = await fetch(`${hub.url}/relay/chat`, { method: "POST", headers: CALLER, body: JSON.stringify({ messages: ["x".repeat(1 << 20)] }) });
    assert.equal(big.status, 413);
  });
  assert.deepEqual(calls, [], "a refused relay reached the upstream");
});

/** Reads until the stream ends, in at most `ms` (a hang fails). */
async function finalEvents(name, ms = 5000) {
  const stream = await relay(name);
  assert.equal(stream.response.status, 200);
  await stream.toEnd(ms);
  assert.ok(stream.done, `${name}: the body ended`);
  return stream;
}

test("an upstream 500 ends the relay at once with an error event naming the status", async () => {
  const stream = await finalEvents("fail");
  assert.deepEqual(triples(stream), [["error", undefined, "upstream answered HTTP 500"]]);
});

test("a non-SSE upstream content type ends the relay with an error event naming the type", async () => {
  const stream = await finalEvents("html");
  assert.deepEqual(triples(stream), [
    ["error", undefined, "upstream answered with Content-Type text/html; charset=utf-8, not text/event-stream"],
  ]);
});

test("an upstream that cannot be reached ends the relay with an error event", async (t) => {
  const stream = await finalEvents("down");
  assert.equal(stream.events.length, 1, JSON.stringify(stream.items));
  const [event] = stream.events;
  assert.equal(event.type, "error");
  assert.match(event.data, /^upstream request failed: \S/);
  t.diagnostic(event.data);
});

test("an upstream cut mid-stream ends the relay after the events it completed, with an error event", async (t) => {
  const stream = await finalEvents("cut");
  const events = triples(stream);
  assert.deepEqual(events.slice(0, 2), [
    ["message", "1", JSON.stringify(CHAT_CHUNKS[0])],
    ["message", "2", JSON.stringify(CHAT_CHUNKS[1])],
  ]);
  assert.equal(events.length, 3, JSON.stringify(events));
  assert.equal(events[2][0], "error");
  assert.match(events[2][2], /^upstream stream failed: \S/);
  t.diagnostic(events[2][2]);
});

test("a 16 MiB upstream event hits the size limit: an error event, the upstream aborted", async () => {
  const before = requestsTo("/huge").length;
  const stream = await finalEvents("huge", 20000);
  assert.deepEqual(triples(stream), [
    ["error", undefined, `upstream event over the size limit of ${HUGE_EVENT_BYTES} bytes`],
  ]);
  // The upstream holds its connection open after the event: only an abort
  // closes it.
  const [request] = requestsTo("/huge").slice(before);
  await request.closed;
  assert.ok(request.aborted, "the upstream was aborted");
});

/**
 * Opens relay `name`, reads until `ready(stream)`, leaves, and returns how
 * long after leaving the upstream saw its request closed.
 */
async function leaveAndTimeAbort(name, ready, what) {
  const before = requestsTo(`/${name}`).length;
  const stream = await relay(name);
  await stream.until(ready, 5000, what);
  const [request] = requestsTo(`/${name}`).slice(before);
  assert.ok(request, `the upstream got the request`);
  assert.equal(request.closedAt, null, "the upstream request is still open");
  const left = performance.now();
  await stream.cancel();
  let timer;
  const closed = await Promise.race([
    request.closed,
    new Promise((resolve) => (timer = setTimeout(resolve, 5000, null))),
  ]);
  clearTimeout(timer);
  assert.ok(closed, "the upstream request was closed after the client left");
  assert.ok(closed.aborted, "before the upstream finished");
  return closed.closedAt - left;
}

test("the client leaving mid-stream aborts the upstream within one heartbeat interval", async (t) => {
  const elapsed = await leaveAndTimeAbort("hold", (s) => s.events.length === 1, "the first event");
  t.diagnostic(`aborted ${elapsed.toFixed(0)} ms after the client left`);
  assert.ok(elapsed < HEARTBEAT_MS + SLACK_MS, `aborted ${elapsed.toFixed(0)} ms after the client left`);
});

test("the client leaving before the upstream answered aborts the pending fetch; heartbeats flow meanwhile", async (t) => {
  const beats = (s) => s.items.filter((i) => i.kind === "comment" && i.text === "keep-alive").length;
  const elapsed = await leaveAndTimeAbort("silent", (s) => beats(s) >= 2, "two heartbeats");
  t.diagnostic(`aborted ${elapsed.toFixed(0)} ms after the client left`);
  assert.ok(elapsed < HEARTBEAT_MS + SLACK_MS, `aborted ${elapsed.toFixed(0)} ms after the client left`);
});
