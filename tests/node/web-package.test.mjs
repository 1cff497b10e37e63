// The web build used from Node (>= 20): `SseParser`, `encodeEvent` and the
// `EventSource` class, loaded with `initSync` from the wasm bytes, as the
// npm package's Node entry does.
//
//   SSEKIT_PKG=target/types-pkg SSEKIT_TEST_SERVER=http://127.0.0.1:PORT \
//     node --test tests/node/*.test.mjs
//
// Expected values are written from ../shared/SSE-SPEC.md, not from output.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";

const pkgDir = resolve(process.env.SSEKIT_PKG ?? "target/types-pkg");
const ssekit = await import(pathToFileURL(`${pkgDir}/ssekit.js`).href);
ssekit.initSync({ module: readFileSync(`${pkgDir}/ssekit_bg.wasm`) });
const { SseParser, encodeEvent } = ssekit;

const encoder = new TextEncoder();

// Feeds `bytes` split at every `size` bytes (1 = byte by byte, which cuts
// CRLF pairs and multibyte characters), collecting the events.
function parseInChunks(bytes, size) {
  const parser = new SseParser();
  const events = [];
  for (let at = 0; at < bytes.length; at += size) {
    events.push(...parser.feed(bytes.subarray(at, at + size)));
  }
  parser.finish();
  return events;
}

test("SseParser: the spec's dispatch rules under every chunking", () => {
  // Mixed line endings, a named event, an id that persists, data joined by
  // LF, a comment, a field with no colon, one leading space stripped only.
  const stream = encoder.encode(
    "\uFEFFdata: first\r\n\r\n: comment\nevent: price\ndata:  two\rdata:lines\r\rid: 7\ndata\n\n" +
      "data: é🦀\n\ndata: cut off",
  );
  const expected = [
    { type: "message", data: "first", lastEventId: "", id: undefined },
    { type: "price", data: " two\nlines", lastEventId: "", id: undefined },
    { type: "message", data: "", lastEventId: "7", id: "7" },
    { type: "message", data: "é🦀", lastEventId: "7", id: undefined },
  ];
  for (const size of [1, 2, 3, 5, 7, stream.length]) {
    assert.deepEqual(parseInChunks(stream, size), expected, `chunk size ${size}`);
  }
});

test("SseParser: strings, ArrayBuffers, callbacks in stream order", () => {
  const seen = [];
  const parser = new SseParser({
    lastEventId: "start",
    onEvent: (e) => seen.push(["event", e.data, e.lastEventId]),
    onComment: (text) => seen.push(["comment", text]),
    onRetry: (ms) => seen.push(["retry", ms]),
  });
  parser.feed(":hi\nretry: 2500\n\n");
  parser.feed(encoder.encode("data: a\n\n").buffer);
  parser.feed("retry: 1x\n\n"); // not all digits: ignored
  assert.deepEqual(seen, [
    ["comment", "hi"],
    ["retry", 2500],
    ["event", "a", "start"],
  ]);
  assert.equal(parser.reconnectionTime, 2500);
  assert.throws(() => parser.feed(42), TypeError);
});

test("SseParser: an event over the limit is an SseParseError and loses nothing else", () => {
  const parser = new SseParser({ maxEventBytes: 16 });
  const big = "x".repeat(64);
  let thrown;
  try {
    parser.feed(`data: ok\n\ndata: ${big}\n\ndata: after\n\n`);
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof Error, "feed throws without onError");
  assert.equal(thrown.name, "SseParseError");
  assert.deepEqual(
    thrown.events.map((e) => e.data),
    ["ok", "after"],
  );
  assert.throws(() => new SseParser({ maxEventBytes: -1 }), RangeError);
});

test("encodeEvent: fields in order, multi-line data, injection refused", () => {
  assert.equal(
    encodeEvent({ event: "tick", id: "9", retry: 1000, data: "a\r\nb\nc" }),
    "event: tick\nid: 9\nretry: 1000\ndata: a\ndata: b\ndata: c\n\n",
  );
  assert.equal(encodeEvent({ comment: "keep" }), ": keep\n\n");
  assert.throws(() => encodeEvent({ dta: "typo" }), TypeError);
  assert.throws(() => encodeEvent({ retry: -1 }), RangeError);
  for (const fields of [{ event: "a\nb", data: "" }, { id: "1\r", data: "" }, { data: "x", id: "\0" }]) {
    assert.throws(() => encodeEvent(fields), { name: "SseEncodeError" }, JSON.stringify(fields));
  }
  // Whatever it encodes parses back to the same event.
  const parser = new SseParser();
  const [event] = parser.feed(encodeEvent({ event: "t", data: " lead\n\ntrail ", id: "x" }));
  assert.deepEqual(event, { type: "t", data: " lead\n\ntrail ", lastEventId: "x", id: "x" });
});

test("EventSource over Node's fetch: messages, ids, then reconnect with Last-Event-ID", {
  skip: process.env.SSEKIT_TEST_SERVER ? false : "SSEKIT_TEST_SERVER not set",
}, async () => {
  const EventSource = ssekit.eventSourceClass();
  const key = `node-${process.pid}-${Date.now()}`;
  const url = `${process.env.SSEKIT_TEST_SERVER}/seq?key=${key}&n=4&drop=2`;
  const source = new EventSource(url, { retry: { initialMs: 10, jitter: 0 } });
  const log = [];
  let timer;
  source.onopen = () => log.push(`open ${source.readyState}`);
  const done = new Promise((resolveDone, reject) => {
    source.onmessage = (message) => {
      assert.ok(message instanceof MessageEvent);
      log.push(`${message.lastEventId}:${message.data}`);
      if (message.lastEventId === "4") resolveDone();
    };
    timer = setTimeout(() => reject(new Error(`timed out: ${log.join(", ")}`)), 10_000);
  });
  try {
    await done;
  } finally {
    clearTimeout(timer);
    source.close();
  }
  assert.equal(source.readyState, EventSource.CLOSED);
  // Ids 1..4 exactly once, across the cut after two events.
  assert.deepEqual(
    log.filter((line) => !line.startsWith("open")),
    ["1:event 1", "2:event 2", "3:event 3", "4:event 4"],
  );
  const stats = await (await fetch(`${process.env.SSEKIT_TEST_SERVER}/stats?key=${key}`)).json();
  assert.deepEqual(
    stats.filter((r) => r.method === "GET").map((r) => r.lastEventId),
    [null, "2"],
  );
});
