// The hub worker (hub/) and the ssekit-workers response it is built on, in
// real workerd (Miniflare's Node API), driven by real HTTP clients: Node's
// fetch reading bodies incrementally and the `eventsource` npm package.
//
//   cargo xtask build worker && node --test tests/worker/hub.test.mjs   # Node >= 22
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventSource as ThirdPartyEventSource } from "eventsource";
import { startHub, publish, channelStats as stats, PUBLISH_TOKEN } from "./hub.mjs";
import { open, eventually } from "./sse-client.mjs";

let hub;
before(async () => {
  hub = await startHub({ vars: { HEARTBEAT_MS: "250", REPLAY_MAX_EVENTS: "20" } });
});
after(async () => {
  await hub?.stop();
});

let channelCounter = 0;
const freshChannel = (label) => `${label}-${process.pid}-${channelCounter++}`;

test("SSE headers, never compressed, first bytes at once", async () => {
  for (const path of ["/ticks?count=1&interval_ms=3000", `/channels/${freshChannel("h")}/events`]) {
    const stream = await open(`${hub.url}${path}`, { headers: { "Accept-Encoding": "gzip, br" } });
    const h = stream.response.headers;
    assert.equal(stream.response.status, 200, path);
    assert.equal(h.get("content-type"), "text/event-stream; charset=utf-8", path);
    assert.equal(h.get("cache-control"), "no-cache, no-transform", path);
    assert.equal(h.get("x-accel-buffering"), "no", path);
    assert.equal(h.get("content-encoding"), null, path);
    // The first read carries the preamble comment, long before any event.
    await stream.until((r) => r.items.length > 0, 2000, "the first bytes");
    assert.deepEqual(stream.items[0], { kind: "comment", text: "connected", read: 1 });
    assert.equal(stream.events.length, 0, path);
    await stream.cancel();
  }
});

test("initial retry, then events one by one as they are produced", async () => {
  const stream = await open(`${hub.url}/ticks?count=3&interval_ms=300&retry=1234&heartbeat_ms=0`);
  await stream.toEnd();
  assert.deepEqual(stream.items[0], { kind: "retry", ms: 1234, read: 1 });
  const events = stream.events;
  assert.deepEqual(
    events.map((e) => [e.type, e.id, e.data]),
    [["tick", "1", "1"], ["tick", "2", "2"], ["tick", "3", "3"]],
  );
  // Incremental delivery: each event came in a read of its own.
  assert.equal(new Set(events.map((e) => e.read)).size, 3, JSON.stringify(events));
});

test("heartbeats while idle, configurable and off-able", async () => {
  const beating = await open(`${hub.url}/ticks?count=1&interval_ms=1300&heartbeat_ms=200`);
  await beating.toEnd();
  const beats = beating.items.filter((i) => i.kind === "comment" && i.text === "keep-alive");
  assert.ok(beats.length >= 3, `expected >= 3 heartbeats before the event: ${JSON.stringify(beating.items)}`);
  assert.equal(beating.events.length, 1);

  const quiet = await open(`${hub.url}/ticks?count=1&interval_ms=800&heartbeat_ms=0`);
  await quiet.toEnd();
  assert.deepEqual(quiet.items.map((i) => i.kind), ["comment", "event"]);
});

test("resume point from Last-Event-ID, or from ?lastEventId= for clients without headers", async () => {
  const byHeader = await open(`${hub.url}/ticks?count=8&interval_ms=0`, { headers: { "Last-Event-ID": "5" } });
  await byHeader.toEnd();
  assert.deepEqual(byHeader.events.map((e) => e.id), ["6", "7", "8"]);
  const byQuery = await open(`${hub.url}/ticks?count=8&interval_ms=0&lastEventId=6`);
  await byQuery.toEnd();
  assert.deepEqual(byQuery.events.map((e) => e.id), ["7", "8"]);
});

test("publish: assigned monotonic ids, named events, JSON data, live fan-out", async () => {
  const channel = freshChannel("pub");
  const a = await open(`${hub.url}/channels/${channel}/events`);
  const b = await open(`${hub.url}/channels/${channel}/events`);
  await eventually(async () => (await stats(hub.url, channel)).subscribers === 2, 3000, "two subscribers");
  assert.deepEqual(await publish(hub.url, channel, { data: "one" }), { status: 201, body: { id: "1", seq: 1, delivered: 2 } });
  assert.equal((await publish(hub.url, channel, { event: "price", data: { usd: 3 } })).body.id, "2");
  assert.equal((await publish(hub.url, channel, { id: "order-7", data: "line 1\nline 2" })).body.seq, 3);
  assert.equal((await publish(hub.url, channel, { id: "10", data: "jump" })).body.seq, 10);
  assert.equal((await publish(hub.url, channel, { data: "after jump" })).body.id, "11");
  const expected = [
    ["message", "1", "one"],
    ["price", "2", '{"usd":3}'],
    ["message", "order-7", "line 1\nline 2"],
    ["message", "10", "jump"],
    ["message", "11", "after jump"],
  ];
  for (const stream of [a, b]) {
    await stream.until((r) => r.events.length === 5, 3000, "five events");
    assert.deepEqual(stream.events.map((e) => [e.type, e.id, e.data]), expected);
    await stream.cancel();
  }
});

test("replay after a disconnect is exact: no loss, no duplicate", async () => {
  const channel = freshChannel("replay");
  const first = await open(`${hub.url}/channels/${channel}/events`);
  await eventually(async () => (await stats(hub.url, channel)).subscribers === 1, 3000, "subscribed");
  for (let i = 1; i <= 4; i++) await publish(hub.url, channel, { data: `event ${i}` });
  await first.until((r) => r.events.length === 4, 3000, "four events");
  const lastSeen = first.events.at(-1).id;
  await first.cancel();
  // Published while nobody listens.
  for (let i = 5; i <= 7; i++) await publish(hub.url, channel, { data: `event ${i}` });
  const second = await open(`${hub.url}/channels/${channel}/events`, { headers: { "Last-Event-ID": lastSeen } });
  await second.until((r) => r.events.length === 3, 3000, "the replay");
  for (let i = 8; i <= 9; i++) await publish(hub.url, channel, { data: `event ${i}` });
  await second.until((r) => r.events.length === 5, 3000, "live events after the replay");
  await second.cancel();
  const all = [...first.events, ...second.events].map((e) => e.data);
  assert.deepEqual(all, Array.from({ length: 9 }, (_, i) => `event ${i + 1}`));
  assert.deepEqual(second.events.map((e) => e.id), ["5", "6", "7", "8", "9"]);
});

test("replay buffer is bounded by count; a resume point it cannot serve gets a reset first, then live events", async () => {
  const channel = freshChannel("bounded");
  for (let i = 1; i <= 25; i++) await publish(hub.url, channel, { data: String(i) });
  const s = await stats(hub.url, channel);
  assert.equal(s.buffered_events, 20);
  // Older than the buffer, from the future, a name never published: each
  // is told why and where the kept events start, then goes on live from
  // the channel's position (the reset's id).
  const cases = [
    ["2", "too-old"],
    ["999", "unknown"],
    ["no-such-id", "unknown"],
  ];
  const streams = [];
  for (const [lastId, reason] of cases) {
    const stream = await open(`${hub.url}/channels/${channel}/events`, { headers: { "Last-Event-ID": lastId } });
    await stream.until((r) => r.events.length === 1, 3000, `the reset for ${lastId}`);
    assert.deepEqual(
      stream.events.map((e) => [e.type, e.id, JSON.parse(e.data)]),
      [["reset", "25", { reason, first_id: "6" }]],
      lastId,
    );
    streams.push(stream);
  }
  // Within the buffer: exact, no reset.
  const kept = await open(`${hub.url}/channels/${channel}/events`, { headers: { "Last-Event-ID": "5" } });
  await kept.until((r) => r.events.length === 20, 3000, "the kept events");
  assert.deepEqual(kept.events.map((e) => e.id), Array.from({ length: 20 }, (_, i) => String(i + 6)));
  streams.push(kept);
  await publish(hub.url, channel, { data: "live" });
  for (const stream of streams) {
    await stream.until((r) => r.events.at(-1).data === "live", 3000, "the live event");
    await stream.cancel();
  }
});

test("publishing needs the token: 401 without it or with a wrong one", async () => {
  const channel = freshChannel("auth");
  assert.equal((await publish(hub.url, channel, { data: "x" }, null)).status, 401);
  assert.equal((await publish(hub.url, channel, { data: "x" }, "wrong")).status, 401);
  const s = await stats(hub.url, channel);
  assert.equal(s.next_seq, 1);
  assert.equal(s.buffered_events, 0);
});

test("bad publishes get a clear 4xx and change nothing", async () => {
  const channel = freshChannel("bad");
  await publish(hub.url, channel, { data: "kept" });
  const before = await stats(hub.url, channel);
  const cases = [
    ["not json", 400],
    [JSON.stringify({ event: "x" }), 400], // no data
    [JSON.stringify({ data: null }), 400],
    [JSON.stringify({ data: "x", extra: 1 }), 400],
    [JSON.stringify({ data: "x", event: "a\nb" }), 400],
    [JSON.stringify({ data: "x", id: "1\rdata: forged" }), 400],
    [JSON.stringify({ data: "x", id: "a\u0000b" }), 400],
    [JSON.stringify({ data: "x", event: "" }), 400],
    [JSON.stringify({ data: "x", id: "x".repeat(300) }), 400],
    [JSON.stringify({ data: "x", id: "1" }), 400], // numeric ids must grow
    [JSON.stringify({ data: "x", id: "18446744073709551615" }), 400], // would wrap the counter
    [JSON.stringify({ data: "x", id: "9007199254740992" }), 400], // 2^53: past what JavaScript holds
    [JSON.stringify({ data: "x", id: "0100" }), 400], // not how a number is written
    [JSON.stringify({ data: "x".repeat(70 * 1024) }), 413],
  ];
  for (const [body, status] of cases) {
    const result = await publish(hub.url, channel, body);
    assert.equal(result.status, status, `${body.slice(0, 60)} -> ${JSON.stringify(result.body)}`);
    assert.equal(typeof result.body.error, "string");
    assert.ok(result.body.error.length > 5);
  }
  // A well-formed publish not declared as JSON: what a cross-site form or
  // no-cors fetch could send with a cookie or token it holds.
  for (const type of ["text/plain", "application/x-www-form-urlencoded", null]) {
    const response = await fetch(`${hub.url}/channels/${channel}/events`, {
      method: "POST",
      headers: { Authorization: `Bearer ${PUBLISH_TOKEN}`, ...(type ? { "Content-Type": type } : {}) },
      body: new TextEncoder().encode(JSON.stringify({ data: "sneaked" })),
    });
    assert.equal(response.status, 415, `publish as ${type}`);
    assert.match((await response.json()).error, /application\/json/);
  }
  assert.deepEqual(await stats(hub.url, channel), before);
  const badName = await fetch(`${hub.url}/channels/${"x".repeat(65)}/events`);
  assert.equal(badName.status, 400);
  assert.equal((await fetch(`${hub.url}/channels/a%20b/stats`)).status, 400);
  assert.equal((await fetch(`${hub.url}/nope`)).status, 404);
  assert.equal((await fetch(`${hub.url}/chat`)).status, 405);
});

test("subscriber count returns to zero after clients leave", async () => {
  const channel = freshChannel("leave");
  const streams = await Promise.all(Array.from({ length: 6 }, () => open(`${hub.url}/channels/${channel}/events`)));
  await eventually(async () => (await stats(hub.url, channel)).subscribers === 6, 3000, "six subscribers");
  for (const s of streams) await s.cancel();
  // The hub notices at the next write: heartbeats (250 ms here) guarantee one.
  await eventually(async () => (await stats(hub.url, channel)).subscribers === 0, 5000, "zero subscribers");
});

test("the `eventsource` npm package as a third-party client, with a resume point", async () => {
  const channel = freshChannel("es");
  for (let i = 1; i <= 3; i++) await publish(hub.url, channel, { event: "note", data: `n${i}` });
  const received = [];
  const source = new ThirdPartyEventSource(`${hub.url}/channels/${channel}/events?lastEventId=1`);
  try {
    await new Promise((resolve, reject) => {
      source.addEventListener("note", (e) => {
        received.push([e.lastEventId, e.data]);
        if (received.length === 3) resolve();
      });
      source.addEventListener("open", () => publish(hub.url, channel, { event: "note", data: "live" }).catch(reject));
      setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(received)}`)), 5000);
    });
  } finally {
    source.close();
  }
  assert.deepEqual(received, [["2", "n2"], ["3", "n3"], ["4", "live"]]);
});

test("POST /chat streams tokens; a reconnect with Last-Event-ID resumes exactly", async () => {
  const ask = (headers = {}) =>
    open(`${hub.url}/chat?token_ms=5`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ prompt: "What is SSE?" }),
    });
  const full = await ask();
  await full.toEnd();
  const tokens = full.events.filter((e) => e.type === "token");
  const done = full.events.at(-1);
  assert.equal(done.type, "done");
  assert.deepEqual(JSON.parse(done.data), { tokens: tokens.length });
  assert.deepEqual(tokens.map((e) => e.id), tokens.map((_, i) => String(i + 1)));
  assert.ok(tokens.map((e) => e.data).join("").includes("“What is SSE?”"));
  assert.ok(new Set(full.events.map((e) => e.read)).size > 5, "tokens arrive over many reads");

  const resumed = await ask({ "Last-Event-ID": "10" });
  await resumed.toEnd();
  assert.deepEqual(
    resumed.events.filter((e) => e.type === "token").map((e) => [e.id, e.data]),
    tokens.slice(10).map((e) => [e.id, e.data]),
  );
  const json = { "Content-Type": "application/json" };
  const bad = await fetch(`${hub.url}/chat`, { method: "POST", headers: json, body: JSON.stringify({ prompt: "" }) });
  assert.equal(bad.status, 400);
  // Not JSON: what a cross-site page can send without a preflight.
  const plain = await fetch(`${hub.url}/chat`, { method: "POST", body: JSON.stringify({ prompt: "hi" }) });
  assert.equal(plain.status, 415);
});

test("CORS: preflight for custom headers; credentials only for listed origins", async () => {
  const strict = await startHub({ vars: { ALLOWED_ORIGINS: "https://app.test, *" } });
  try {
    const preflight = (origin) =>
      fetch(`${strict.url}/channels/c/events`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "GET",
          "Access-Control-Request-Headers": "authorization,last-event-id",
        },
      });
    const trusted = await preflight("https://app.test");
    assert.equal(trusted.status, 204);
    assert.equal(trusted.headers.get("access-control-allow-origin"), "https://app.test");
    assert.equal(trusted.headers.get("access-control-allow-credentials"), "true");
    const allowed = trusted.headers.get("access-control-allow-headers").toLowerCase();
    for (const h of ["authorization", "last-event-id"]) assert.ok(allowed.includes(h), allowed);
    const other = await preflight("https://other.test");
    assert.equal(other.headers.get("access-control-allow-origin"), "*");
    assert.equal(other.headers.get("access-control-allow-credentials"), null);
    const stream = await open(`${strict.url}/ticks?count=1&interval_ms=0`, { headers: { Origin: "https://app.test" } });
    assert.equal(stream.response.headers.get("access-control-allow-origin"), "https://app.test");
    assert.equal(stream.response.headers.get("access-control-allow-credentials"), "true");
    assert.match(stream.response.headers.get("vary"), /Origin/);
    await stream.cancel();
  } finally {
    await strict.stop();
  }
  const closed = await startHub({ vars: { ALLOWED_ORIGINS: "https://app.test" } });
  try {
    const denied = await fetch(`${closed.url}/channels/c/events`, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.test", "Access-Control-Request-Method": "GET" },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get("access-control-allow-origin"), null);
  } finally {
    await closed.stop();
  }
});

test("subscribe token: header, query fallback, 401 otherwise", async () => {
  const guarded = await startHub({ vars: { SUBSCRIBE_TOKEN: "sub-secret" } });
  try {
    const url = `${guarded.url}/channels/guarded/events`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { Authorization: "Bearer nope" } })).status, 401);
    const byHeader = await open(url, { headers: { Authorization: "Bearer sub-secret" } });
    assert.equal(byHeader.response.status, 200);
    await byHeader.cancel();
    const byQuery = await open(`${url}?token=sub-secret`);
    assert.equal(byQuery.response.status, 200);
    await byQuery.cancel();
  } finally {
    await guarded.stop();
  }
});

test("storage survives a Durable Object restart: ids stay monotonic, replay still works", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ssekit-hub-"));
  try {
    let instance = await startHub({ persistDir: dir });
    for (let i = 1; i <= 3; i++) await publish(instance.url, "durable", { data: `before ${i}` });
    await instance.stop();
    instance = await startHub({ persistDir: dir });
    try {
      const s = await stats(instance.url, "durable");
      assert.equal(s.next_seq, 4);
      assert.equal(s.buffered_events, 3);
      assert.equal((await publish(instance.url, "durable", { data: "after" })).body.id, "4");
      const replay = await open(`${instance.url}/channels/durable/events`, { headers: { "Last-Event-ID": "1" } });
      await replay.until((r) => r.events.length === 3, 3000, "replay after restart");
      assert.deepEqual(replay.events.map((e) => [e.id, e.data]), [["2", "before 2"], ["3", "before 3"], ["4", "after"]]);
      await replay.cancel();
    } finally {
      await instance.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a slow subscriber is dropped, not buffered without bound, and catches up by replay", async () => {
  const small = await startHub({
    vars: { SUBSCRIBER_QUEUE_BYTES: String(256 << 10), REPLAY_MAX_EVENTS: "1000", REPLAY_MAX_BYTES: String(64 << 20) },
  });
  try {
    const channel = "slow";
    const stalled = await open(`${small.url}/channels/${channel}/events`); // never read
    await eventually(async () => (await stats(small.url, channel)).subscribers === 1, 3000, "subscribed");
    // Big events, so that socket and stream buffers fill and backpressure
    // reaches the hub; then its per-subscriber queue (256 KiB) overflows.
    const big = "x".repeat(60 * 1024);
    const delivered = [];
    for (let i = 1; delivered.at(-1) !== 0 && i <= 400; i++) {
      delivered.push((await publish(small.url, channel, { data: `${i} ${big}` })).body.delivered);
    }
    assert.equal(delivered.at(-1), 0, `the stalled subscriber was dropped: ${delivered}`);
    await eventually(async () => (await stats(small.url, channel)).subscribers === 0, 3000, "dropped");
    await stalled.cancel();
    const again = await open(`${small.url}/channels/${channel}/events`, { headers: { "Last-Event-ID": "0" } });
    await again.until((r) => r.events.length === delivered.length, 10000, "catch-up");
    assert.deepEqual(again.events.map((e) => e.id), delivered.map((_, i) => String(i + 1)));
    await again.cancel();
  } finally {
    await small.stop();
  }
});

test("disconnect ends every subscriber's stream cleanly (publish token only)", async () => {
  const channel = freshChannel("kick");
  const streams = [await open(`${hub.url}/channels/${channel}/events`), await open(`${hub.url}/channels/${channel}/events`)];
  await eventually(async () => (await stats(hub.url, channel)).subscribers === 2, 3000, "two subscribers");
  await publish(hub.url, channel, { data: "before" });
  const kick = (token) =>
    fetch(`${hub.url}/channels/${channel}/disconnect`, {
      method: "POST",
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  assert.equal((await kick(null)).status, 401);
  const response = await kick(PUBLISH_TOKEN);
  assert.deepEqual(await response.json(), { disconnected: 2 });
  for (const stream of streams) {
    await stream.toEnd(3000); // a clean end of the body, after what was queued
    assert.deepEqual(stream.events.map((e) => e.data), ["before"]);
  }
  assert.equal((await stats(hub.url, channel)).subscribers, 0);
});
