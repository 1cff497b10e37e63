// The npm package from Node (>= 20), by its Node entry (the wasm core is
// loaded synchronously on import): `SseParser`, `encodeEvent`, and the
// `EventSource` shell driven through an injected `fetch` that returns real
// `Response` streams (every decision checked exactly, no server), then over
// Node's own fetch against the fault-injecting test server. Rule IDs in test
// titles (C4, D6) are defined in docs/spec.md.
//
//   SSEKIT_PKG=pkg SSEKIT_TEST_SERVER=http://127.0.0.1:PORT node --test tests/node/*.test.mjs
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { getEventListeners } from "node:events";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../worker/sse-client.mjs";

const pkgDir = resolve(process.env.SSEKIT_PKG ?? "pkg");
const ssekit = await import(pathToFileURL(`${pkgDir}/node.js`).href);
const { SseParser, encodeEvent, EventSource, SseParseError, SseEncodeError, EventSourceError, events, ready, load, loadSync } = ssekit;

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

test("SseParser: small chunks of a line are held back, yet the limit strikes at the chunk that crosses it", () => {
  // The shell holds short chunks with no line end and scans them with the
  // chunk that ends the line; that must not move an error to a later feed,
  // hide held bytes from bufferedBytes, or from finish().
  const parser = new SseParser({ maxEventBytes: 10 });
  assert.deepEqual(parser.feed("data: "), []);
  assert.equal(parser.bufferedBytes, 6);
  assert.deepEqual(parser.feed("ab"), []);
  assert.equal(parser.bufferedBytes, 8);
  assert.deepEqual(parser.feed("cd"), []);
  assert.equal(parser.bufferedBytes, 10);
  assert.throws(() => parser.feed("e"), SseParseError, "the 11th byte is over the limit of 10");
  assert.equal(parser.bufferedBytes, 0);
  assert.deepEqual(
    parser.feed("\n\ndata: ok\n\n").map((e) => e.data),
    ["ok"],
  );
  assert.deepEqual(parser.feed("data: cut"), []);
  assert.equal(parser.finish(), true, "an unterminated line is cut, held back or not");
  assert.equal(parser.finish(), false);
});

test("load: a loadSync while a load is in flight keeps its instance; the load settles to it", async () => {
  // A module instance of its own (the query makes Node load the file again).
  const fresh = await import(`${pathToFileURL(`${pkgDir}/ssekit.js`).href}?fresh-load`);
  const bytes = readFileSync(`${pkgDir}/ssekit.wasm`);
  let give;
  const loading = fresh.load(new Promise((resolve) => (give = resolve)));
  const first = fresh.loadSync(bytes);
  // A parser on the synchronous instance: its handle belongs to it.
  const parser = new fresh.SseParser();
  give(bytes);
  assert.equal(await loading, first, "the load settles to the instance loadSync made");
  assert.deepEqual(
    parser.feed("data: still here\n\n").map((e) => e.data),
    ["still here"],
  );
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
  assert.ok(thrown instanceof SseParseError, "feed throws an SseParseError without onError");
  assert.equal(thrown.name, "SseParseError");
  assert.equal(thrown.limit, 16);
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
    assert.throws(() => encodeEvent(fields), SseEncodeError, JSON.stringify(fields));
  }
  // Whatever it encodes parses back to the same event.
  const parser = new SseParser();
  const [event] = parser.feed(encodeEvent({ event: "t", data: " lead\n\ntrail ", id: "x" }));
  assert.deepEqual(event, { type: "t", data: " lead\n\ntrail ", lastEventId: "x", id: "x" });
});

test("EventSource over Node's fetch: messages, ids, then reconnect with Last-Event-ID", {
  skip: process.env.SSEKIT_TEST_SERVER ? false : "SSEKIT_TEST_SERVER not set",
}, async () => {
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

test("SseParser: a throwing callback loses no events (they travel with the exception)", () => {
  const seen = [];
  const parser = new SseParser({
    onEvent: (event) => {
      seen.push(event.data);
      if (event.data === "2") throw new Error("handler bug");
    },
  });
  let thrown;
  try {
    parser.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n");
  } catch (error) {
    thrown = error;
  }
  assert.equal(thrown?.message, "handler bug");
  assert.deepEqual(seen, ["1", "2", "3"], "every callback ran");
  assert.deepEqual(
    thrown.events.map((e) => e.data),
    ["1", "2", "3"],
    "the chunk's events are on the exception",
  );
});

// ---- The EventSource shell over an injected fetch ---------------------------

// A scripted server: each call of `fetch` takes the next reply, a function
// of the request returning a Response (or throwing: a network error).
function scripted(replies) {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url, init });
    const reply = replies.shift();
    if (!reply) return new Promise(() => {}); // hangs: no more replies
    return reply(url, init);
  };
  return { fetch, requests };
}

// A 200 text/event-stream response whose body is `chunks`, then its end.
const sse = (...chunks) => body(chunks, true);
// The same, but the body stays open after the chunks.
const sseOpen = (...chunks) => body(chunks, false);
const body = (chunks, end) =>
  new Response(
    new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        if (end) controller.close();
      },
    }),
    { status: 200, headers: { "content-type": "text/event-stream" } },
  );

// Records what a user observes: readyState at each event, and the events.
function observe(source, types = []) {
  const log = [];
  source.onopen = () => log.push(`open ${source.readyState}`);
  source.onmessage = (e) => log.push(`message ${e.data} id=${e.lastEventId} ${source.readyState}`);
  source.onerror = (e) => log.push(`error ${source.readyState}${e.status ? ` ${e.status}` : ""}${e.error ? ` ${e.error.name}` : ""}`);
  for (const type of types) source.addEventListener(type, (e) => log.push(`${type} ${e.data}`));
  return log;
}

const until = (check, what) => eventually(check, 5000, what);

// Runs everything the shell has pending that needs no timer: the promises of
// an injected fetch, the reads of a body already enqueued, the events they
// dispatch. Each round of setImmediate (never mocked here) drains the
// microtask queue; the shell needs a few. Not a sleep: no wall-clock time.
async function settle() {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

// A virtual clock for the test's duration, for tests that assert that
// something does not happen: node:test's mock timers stand in for setTimeout
// and Date, and performance.now (the shell's clock) reads the mocked Date.
// `advance(ms)` settles (so that the timers the shell is about to set are
// set), moves the clock, fires the timers that came due and settles again.
// `until` polls on these timers: not under this clock. (Mocking Date takes
// Node >= 20.11.)
function virtualClock(t) {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  t.mock.method(performance, "now", () => Date.now());
  return {
    settle,
    async advance(ms) {
      await settle();
      t.mock.timers.tick(ms);
      await settle();
    },
  };
}

// Past any delay these tests set: what has not happened by then never will.
const AN_HOUR = 3_600_000;

test("EventSource shell: class identity and constants", () => {
  assert.equal(EventSource.name, "EventSource");
  const source = new EventSource("http://127.0.0.1:9/", { fetch: () => new Promise(() => {}) });
  assert.equal(String(source), "[object EventSource]");
  assert.ok(source instanceof EventTarget);
  assert.deepEqual([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED, source.CLOSED], [0, 1, 2, 2]);
  assert.equal(source.readyState, EventSource.CONNECTING);
  source.close();
  assert.equal(source.readyState, EventSource.CLOSED);
});

test("EventSource shell: open, messages, clean end, reconnect with the UTF-8 Last-Event-ID", async () => {
  const { fetch, requests } = scripted([
    () => sse("id: caf\u00e9\u2026\ndata: one\n\n", "event: ping\ndata: two\n\n"),
    () => sseOpen("data: three\n\n"),
  ]);
  const source = new EventSource("http://example.test/events", { fetch, retry: { initialMs: 1 } });
  const log = observe(source, ["ping"]);
  await until(() => log.includes("message three id=caf\u00e9\u2026 1"), "the third message");
  source.close();
  assert.deepEqual(log, [
    "open 1",
    "message one id=caf\u00e9\u2026 1",
    "ping two",
    "error 0",
    "open 1",
    "message three id=caf\u00e9\u2026 1",
  ]);
  assert.equal(requests.length, 2);
  const [first, second] = requests.map((r) => r.init);
  assert.equal(first.headers.accept, "text/event-stream");
  assert.equal(first.headers["last-event-id"], undefined);
  // The id's UTF-8 bytes, one char per byte: what a browser sends.
  const bytes = [...new TextEncoder().encode("caf\u00e9\u2026")].map((b) => String.fromCharCode(b)).join("");
  assert.equal(second.headers["last-event-id"], bytes);
  assert.equal(first.cache, "no-store");
  assert.equal(first.headers["cache-control"], undefined, "no Cache-Control header: it would force a CORS preflight");
  assert.equal(first.credentials, "same-origin", "credentials are always passed to a custom fetch");
  assert.equal(typeof first.headers, "object", "headers are a plain object a wrapper can spread");
  assert.ok(!(first.headers instanceof Headers));
});

test("EventSource shell: C4 non-200 and wrong content types fail for good, once", async (t) => {
  const clock = virtualClock(t);
  for (const reply of [
    () => new Response(null, { status: 204 }),
    () => new Response("nope", { status: 500, headers: { "content-type": "text/event-stream" } }),
    () => new Response("data: x\n\n", { status: 200, headers: { "content-type": "text/plain" } }),
  ]) {
    const { fetch, requests } = scripted([reply, () => sse("data: never\n\n")]);
    const source = new EventSource("http://example.test/", { fetch, retry: { initialMs: 1 } });
    const log = observe(source);
    await clock.settle();
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.equal(log.length, 1, log.join());
    assert.match(log[0], /^error 2/);
    // An hour past the 1 ms retry delay: still the one request, the one error.
    await clock.advance(AN_HOUR);
    assert.equal(log.length, 1, log.join());
    assert.equal(requests.length, 1, "no reconnect");
  }
  // The error says what was wrong, with the response to read.
  const cases = [
    [() => new Response(null, { status: 404, statusText: "Not Found" }), "http-status", 404, "the server answered 404 Not Found, not 200"],
    [() => new Response("<p>", { status: 200, headers: { "content-type": "text/html" } }), "content-type", 200, 'the response\'s Content-Type is "text/html", not text/event-stream'],
    [() => new Response("", { status: 200 }), "content-type", 200, "the response's Content-Type is \"text/plain;charset=UTF-8\", not text/event-stream"],
  ];
  for (const [reply, code, status, message] of cases) {
    const { fetch } = scripted([reply]);
    const source = new EventSource("http://example.test/", { fetch });
    const error = await new Promise((resolve) => (source.onerror = (e) => resolve(e.error)));
    assert.ok(error instanceof EventSourceError);
    assert.deepEqual([error.code, error.status, error.response?.status, error.attempts], [code, status, status, 0]);
    assert.equal(error.message, `EventSource http://example.test/: ${message}`);
  }
});

test("EventSource shell: retry statuses reconnect; maxAttempts gives up with an EventSourceError", async () => {
  const unavailable = () => new Response(null, { status: 503, statusText: "Service Unavailable" });
  const { fetch, requests } = scripted([unavailable, unavailable, unavailable, unavailable]);
  const source = new EventSource("http://example.test/", {
    fetch,
    retry: { initialMs: 1, maxAttempts: 2, statuses: [503] },
  });
  const log = observe(source);
  const errors = [];
  source.addEventListener("error", (e) => errors.push(e.error));
  await until(() => source.readyState === EventSource.CLOSED, "giving up");
  assert.deepEqual(log, ["error 0 503 EventSourceError", "error 0 503 EventSourceError", "error 2 503 EventSourceError"]);
  assert.equal(requests.length, 3);
  // Every error says which case it is, with the response; the last one why
  // it gave up, with the last attempt's error as its cause.
  assert.deepEqual(
    errors.map((e) => [e instanceof EventSourceError, e.code, e.status, e.response instanceof Response, e.attempts]),
    [
      [true, "http-status", 503, true, 1],
      [true, "http-status", 503, true, 2],
      [true, "gave-up", 503, true, 2],
    ],
  );
  assert.equal(errors[0].message, "EventSource http://example.test/: the server answered 503 Service Unavailable");
  assert.equal(
    errors[2].message,
    "EventSource http://example.test/: gave up after 2 failed reconnection attempts; the last: EventSource http://example.test/: the server answered 503 Service Unavailable",
  );
  assert.deepEqual([errors[2].cause.code, errors[2].cause.status], ["http-status", 503]);

  // One attempt: a sentence in the singular; none allowed: no count at all.
  for (const [maxAttempts, expected] of [
    [1, "gave up after 1 failed reconnection attempt; the last: EventSource http://example.test/: the request failed: offline"],
    [0, "the connection failed and retry.maxAttempts allows no reconnection; the last: EventSource http://example.test/: the request failed: offline"],
  ]) {
    const offline = () => Promise.reject(new TypeError("offline"));
    const source = new EventSource("http://example.test/", { fetch: offline, retry: { initialMs: 1, maxAttempts } });
    const errors = [];
    source.addEventListener("error", (e) => errors.push(e.error));
    await until(() => source.readyState === EventSource.CLOSED, "giving up");
    const last = errors.at(-1);
    assert.equal(last.message, `EventSource http://example.test/: ${expected}`);
    assert.deepEqual([last.code, last.attempts, last.cause.code, last.cause.cause.message], ["gave-up", maxAttempts, "network", "offline"]);
  }
});

test("EventSource shell: close() in a handler drops the rest of the chunk (D6)", async () => {
  const { fetch } = scripted([() => sse("data: 1\n\ndata: 2\n\ndata: 3\n\n")]);
  const source = new EventSource("http://example.test/", { fetch });
  const seen = [];
  source.onmessage = (e) => {
    seen.push(e.data);
    if (e.data === "2") source.close();
  };
  await until(() => seen.length >= 2, "two messages");
  // The rest of the chunk would come in the same feed; settle() runs
  // whatever else the shell had pending.
  await settle();
  assert.deepEqual(seen, ["1", "2"]);
});

test("EventSource shell: onmessage runs once per event; reconnects leave no listener behind", async () => {
  const replies = [];
  for (let i = 0; i < 30; i++) replies.push(() => sse(`data: ${i}\n\n`));
  const { fetch, requests } = scripted(replies);
  const controller = new AbortController();
  // initialMs 1: every reconnect waits (a 0 ms one is due at once, no wait).
  const source = new EventSource("http://example.test/", { fetch, signal: controller.signal, retry: { initialMs: 1 } });
  let calls = 0;
  source.onmessage = () => calls++;
  // The 31st request comes only after the 30th body ended: every message is
  // in by then, and a second call for any of them would be too.
  await until(() => requests.length === 31, "the request after the last reply");
  assert.equal(calls, 30);
  assert.equal(getEventListeners(controller.signal, "abort").length, 1, "one abort listener, whatever the reconnects");
  controller.abort();
  assert.equal(source.readyState, EventSource.CLOSED);
});

test("EventSource shell: an event over maxEventBytes is an error event; the connection stays open", async () => {
  const { fetch } = scripted([() => sseOpen(`data: ${"x".repeat(100)}\n\ndata: after\n\n`)]);
  const source = new EventSource("http://example.test/", { fetch, maxEventBytes: 50 });
  const log = observe(source);
  await until(() => log.some((l) => l.startsWith("message after")), "the next event");
  assert.deepEqual(log, ["open 1", "error 1 SseParseError", "message after id= 1"]);
  source.close();
});

test("SseParser: random streams give the same events, errors, comments and retries whatever the chunking", () => {
  // Seeded xorshift: a failure names its seed and is replayed exactly.
  let seed = 0x5eed1234;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const enc = (text) => [...new TextEncoder().encode(text)];
  const pieces = [
    () => enc("data"), () => enc("event"), () => enc("id"), () => enc("retry"), () => enc(":"), () => enc("dat"),
    () => enc(": "), () => enc(":"), () => enc(" "), () => enc("x"), () => enc("42"), () => enc("é"), () => enc("😀"),
    () => [0xff], () => [0xe2, 0x82], () => [0xf0, 0x9f], () => [0], () => [0xef, 0xbb, 0xbf],
    () => enc("\n"), () => enc("\r"), () => enc("\r\n"), () => enc("\n\n"), () => enc("\r\n\r\n"),
  ];
  // `quiet`: no comment or retry callbacks, so those lines are skipped
  // unread (another path through the shell).
  const parse = (bytes, sizes, limit, quiet) => {
    const seen = [];
    const parser = new SseParser({
      maxEventBytes: limit,
      onEvent: (e) => seen.push(["event", e.type, e.data, e.lastEventId, e.id]),
      onComment: quiet ? undefined : (text) => seen.push(["comment", text]),
      onRetry: quiet ? undefined : (ms) => seen.push(["retry", ms]),
      onError: (error) => seen.push(["error", error.name]),
    });
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const size = sizes === null ? bytes.length : sizes[i % sizes.length];
      parser.feed(bytes.subarray(at, at + size));
      at += size;
    }
    seen.push(["cut", parser.finish()], ["last", parser.lastEventId]);
    return seen;
  };
  for (let n = 0; n < 3000; n++) {
    const streamSeed = seed;
    const bytes = new Uint8Array(Array.from({ length: 1 + Math.floor(next() * 40) }, () => pick(pieces)()).flat());
    const limit = pick([16 * 1024 * 1024, 1, 5, 12, 40]);
    const quiet = next() < 0.5;
    const whole = parse(bytes, null, limit, quiet);
    const sizes = Array.from({ length: 5 }, () => 1 + Math.floor(next() * 9));
    assert.deepEqual(parse(bytes, [1], limit, quiet), whole, `byte by byte, seed ${streamSeed}`);
    assert.deepEqual(parse(bytes, sizes, limit, quiet), whole, `chunks ${sizes}, seed ${streamSeed}`);
  }
});

test("encodeEvent: random fields parse back to exactly what was given, or are refused for a CR, LF or NUL really in them", () => {
  let seed = 0xc0ffee;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const alphabet = ["a", " ", ":", "\r", "\n", "\r\n", "\0", "é", "😀", "\t", "\uFEFF", "data", "id", "event"];
  const text = () => Array.from({ length: Math.floor(next() * 8) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
  let refused = 0;
  for (let n = 0; n < 5000; n++) {
    const fields = { event: text(), id: text(), data: text() };
    let wire;
    try {
      wire = encodeEvent(fields);
    } catch (error) {
      assert.ok(error instanceof SseEncodeError, `${JSON.stringify(fields)}: ${error}`);
      const value = fields[error.field];
      assert.match(value, /[\r\n\0]/, `refused ${error.field} without a reason in it`);
      assert.match(value[error.offset], /[\r\n\0]/, "the offset points at the reason");
      refused++;
      continue;
    }
    const [message, ...rest] = new SseParser().feed(wire);
    assert.deepEqual(rest, [], JSON.stringify(fields));
    // Data keeps its lines (CR, LF and CRLF each become LF); the type and id are exact.
    assert.deepEqual(
      message,
      { type: fields.event || "message", data: fields.data.replace(/\r\n|\r/g, "\n"), lastEventId: fields.id, id: fields.id },
      JSON.stringify(fields),
    );
  }
  assert.ok(refused > 100 && refused < 4900, `both outcomes occur (${refused} refused)`);
});

test("EventSource shell: a URL that is not http(s) fails for good with one error, without a request", async (t) => {
  const clock = virtualClock(t);
  for (const url of ["ftp://example.not/", "about:blank", "mailto:someone@example.not", "javascript:void(0)"]) {
    const { fetch, requests } = scripted([() => sse("data: never\n\n")]);
    const source = new EventSource(url, { fetch, retry: { initialMs: 1 } });
    const log = observe(source);
    await clock.settle();
    assert.deepEqual(log, ["error 2 EventSourceError"], url);
    assert.equal(source.readyState, EventSource.CLOSED);
    // An hour past the 1 ms retry delay: nothing more.
    await clock.advance(AN_HOUR);
    assert.deepEqual(log, ["error 2 EventSourceError"], url);
    assert.equal(requests.length, 0, url);
  }
});

test("EventSource shell: declares that it takes a custom fetch, and takes the undici package's Response", {
  skip: process.env.SSEKIT_TEST_SERVER ? false : "SSEKIT_TEST_SERVER not set",
}, async () => {
  assert.equal(EventSource[Symbol.for("eventsource.supports-fetch-override")], true);
  // undici's fetch returns its own Response class (not the global one), with
  // a web ReadableStream body.
  const { fetch: undiciFetch, Response: UndiciResponse } = await import("undici");
  assert.notEqual(UndiciResponse, Response);
  const seen = [];
  const source = new EventSource(`${process.env.SSEKIT_TEST_SERVER}/stream?n=3&end=hold`, { fetch: undiciFetch });
  await new Promise((resolve, reject) => {
    source.onmessage = (e) => {
      seen.push(e.data);
      if (seen.length === 3) resolve();
    };
    source.onerror = () => reject(new Error(`error, readyState ${source.readyState}`));
  });
  source.close();
  assert.deepEqual(seen, ["0", "1", "2"]);
});

test("EventSource shell: headers and body given as functions are called before every attempt", async () => {
  const { fetch, requests } = scripted([() => sse("id: 1\ndata: a\n\n"), () => sseOpen("data: b\n\n")]);
  let calls = 0;
  const source = new EventSource("http://example.test/", {
    fetch,
    method: "POST",
    headers: async () => ({ Authorization: `Bearer token-${++calls}` }),
    body: () => JSON.stringify({ attempt: calls }),
    retry: { initialMs: 1 },
  });
  const log = observe(source);
  await until(() => log.includes("message b id=1 1"), "the second connection's message");
  source.close();
  assert.deepEqual(
    requests.map((r) => [r.init.headers.authorization, r.init.body, r.init.headers["last-event-id"], r.init.headers.accept]),
    [
      ["Bearer token-1", '{"attempt":1}', undefined, "text/event-stream"],
      ["Bearer token-2", '{"attempt":2}', "1", "text/event-stream"],
    ],
  );
});

test("EventSource shell: a headers function that throws or rejects fails the attempt; the retry policy counts it", async () => {
  let calls = 0;
  const { fetch, requests } = scripted([() => sseOpen("data: finally\n\n")]);
  const source = new EventSource("http://example.test/", {
    fetch,
    headers: () => {
      calls++;
      if (calls === 1) throw new TypeError("no token yet");
      if (calls === 2) return Promise.reject(new RangeError("token service down"));
      return { authorization: "Bearer ok" };
    },
    retry: { initialMs: 1 },
  });
  const log = observe(source);
  await until(() => log.length === 4, "two failed attempts and an open");
  source.close();
  assert.deepEqual(log, ["error 0 TypeError", "error 0 RangeError", "open 1", "message finally id= 1"]);
  assert.equal(requests.length, 1, "no request for a failed attempt");

  const giving = new EventSource("http://example.test/", {
    fetch,
    headers: () => {
      throw new Error("never");
    },
    retry: { initialMs: 1, maxAttempts: 1 },
  });
  const gaveUp = observe(giving);
  await until(() => giving.readyState === EventSource.CLOSED, "giving up");
  assert.deepEqual(gaveUp, ["error 0 Error", "error 2 EventSourceError"]);
});

test("EventSource shell: idleTimeoutMs reconnects with Last-Event-ID when no byte arrives; heartbeats keep it alive", async (t) => {
  const clock = virtualClock(t);
  // A body that sends what the test pushes, and never ends on its own.
  let push;
  const live = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          push = (text) => controller.enqueue(new TextEncoder().encode(text));
        },
      }),
      { status: 200, headers: { "content-type": "text/event-stream" } },
    );
  const { fetch, requests } = scripted([live, () => sseOpen("data: second\n\n")]);
  const source = new EventSource("http://example.test/", { fetch, idleTimeoutMs: 600, retry: { initialMs: 1 } });
  const log = observe(source);
  const errors = [];
  source.addEventListener("error", (e) => errors.push(e.error));
  await clock.settle();
  assert.deepEqual(log, ["open 1"]);
  push("id: 7\ndata: first\n\n");
  await clock.settle();
  // A heartbeat comment 599 ms after each byte, ten times: six seconds, ten
  // times the timeout, and no reconnect.
  for (let i = 0; i < 10; i++) {
    await clock.advance(599);
    push(":\n");
    await clock.settle();
  }
  assert.deepEqual(log, ["open 1", "message first id=7 1"], "comments keep the connection");
  assert.equal(requests.length, 1);
  // Silence: 599 ms after the last byte nothing yet; at 600 ms the timeout
  // strikes, and 1 ms later (the policy) the reconnect sends the last event ID.
  await clock.advance(599);
  assert.equal(log.length, 2, log.join());
  await clock.advance(1);
  assert.deepEqual(log.slice(2), ["error 0 EventSourceError"]);
  await clock.advance(1);
  source.close();
  assert.deepEqual(log, ["open 1", "message first id=7 1", "error 0 EventSourceError", "open 1", "message second id=7 1"]);
  assert.equal(errors[0].code, "idle-timeout");
  assert.equal(errors[0].message, "EventSource http://example.test/: no byte arrived for 600 ms (idleTimeoutMs); reconnecting");
  assert.equal(requests[0].init.signal.aborted, true, "the silent request was aborted");
  assert.equal(requests[1].init.headers["last-event-id"], "7");

  // A request whose response never comes times out the same way.
  const hanging = scripted([() => new Promise(() => {}), () => sseOpen("data: at last\n\n")]);
  const waiting = new EventSource("http://example.test/", { fetch: hanging.fetch, idleTimeoutMs: 50, retry: { initialMs: 1 } });
  const waitLog = observe(waiting);
  await clock.advance(49);
  assert.deepEqual(waitLog, []);
  await clock.advance(1);
  assert.deepEqual(waitLog, ["error 0 EventSourceError"]);
  await clock.advance(1);
  waiting.close();
  assert.deepEqual(waitLog, ["error 0 EventSourceError", "open 1", "message at last id= 1"]);
  assert.throws(() => new EventSource("http://example.test/", { idleTimeoutMs: 0 }), RangeError);
});

test("EventSource shell: closeOnEnd ends a finite stream at its clean end (end event, CLOSED); errors still reconnect", async (t) => {
  const clock = virtualClock(t);
  const { fetch, requests } = scripted([
    () => sse("data: part 1\n\ndata: cut"),
    () => Promise.reject(new TypeError("offline")),
    () => sse("data: answer\n\n"),
  ]);
  // The first body ends cleanly: with closeOnEnd that is the end, whatever came.
  const source = new EventSource("http://example.test/", { fetch, closeOnEnd: true, method: "POST", body: "prompt", retry: { initialMs: 1 } });
  const log = observe(source, ["end"]);
  await clock.settle();
  assert.equal(source.readyState, EventSource.CLOSED);
  assert.deepEqual(log, ["open 1", "message part 1 id= 1", "end undefined"]);
  // An hour past the 1 ms retry delay: nothing more.
  await clock.advance(AN_HOUR);
  assert.deepEqual(log, ["open 1", "message part 1 id= 1", "end undefined"]);
  assert.equal(requests.length, 1, "the prompt is not sent again");

  // A network error still reconnects; then the clean end closes.
  const again = new EventSource("http://example.test/", { fetch, closeOnEnd: true, retry: { initialMs: 1 } });
  const againLog = observe(again, ["end"]);
  await clock.settle();
  assert.deepEqual(againLog, ["error 0 EventSourceError"]);
  await clock.advance(1);
  assert.equal(again.readyState, EventSource.CLOSED);
  assert.deepEqual(againLog, ["error 0 EventSourceError", "open 1", "message answer id= 1", "end undefined"]);
});

test("events(): ends its loop at a finite stream's end, keeps server events named error, rejects with the status and response", async () => {
  const finite = scripted([() => sse("data: a\n\nevent: error\ndata: b\n\nevent: end\ndata: c\n\n")]);
  const seen = [];
  for await (const message of events("http://example.test/", { fetch: finite.fetch, closeOnEnd: true })) seen.push(`${message.type} ${message.data}`);
  assert.deepEqual(seen, ["message a", "error b", "end c"], "every message, then the loop ends");

  const missing = scripted([() => new Response("gone", { status: 404, statusText: "Not Found" })]);
  const iterator = events("http://example.test/", { fetch: missing.fetch });
  const error = await iterator.next().then(
    () => assert.fail("no message"),
    (error) => error,
  );
  assert.ok(error instanceof EventSourceError);
  assert.deepEqual([error.code, error.status, await error.response.text()], ["http-status", 404, "gone"]);
  assert.equal(error.message, "EventSource http://example.test/: the server answered 404 Not Found, not 200");
});

test("EventSource shell: lastEventIdParam carries the last event ID in the URL instead of the header", async () => {
  const { fetch, requests } = scripted([() => sse("id: caf\u00e9 1\ndata: a\n\n"), () => sseOpen("data: b\n\n")]);
  const source = new EventSource("http://example.test/feed?lastEventId=stale&x=1", { fetch, lastEventIdParam: "lastEventId", retry: { initialMs: 1 } });
  const log = observe(source);
  await until(() => log.length === 5, "the second connection's message");
  source.close();
  assert.deepEqual(log, ["open 1", "message a id=caf\u00e9 1 1", "error 0", "open 1", "message b id=caf\u00e9 1 1"]);
  assert.deepEqual(
    requests.map((r) => [r.url, r.init.headers["last-event-id"]]),
    [
      ["http://example.test/feed?lastEventId=stale&x=1", undefined],
      ["http://example.test/feed?lastEventId=caf%C3%A9+1&x=1", undefined],
    ],
  );
  assert.equal(source.url, "http://example.test/feed?lastEventId=stale&x=1", "url stays the original");
  assert.throws(() => new EventSource("http://example.test/", { lastEventIdParam: "" }), TypeError);
});

// ---- Issue 21: comments, dispatchOnEnd, reconnect(), no hot loop, long ids, backpressure, free ----

test("EventSource shell: comments: true delivers each comment line as a comment event, in stream order", async () => {
  const { fetch } = scripted([() => sseOpen(": ping\nid: 3\ndata: a\n\n:\n: tick 2\n\n")]);
  const source = new EventSource("http://example.test/", { fetch, comments: true });
  const log = observe(source, ["comment"]);
  await until(() => log.length === 5, "two comments after the message");
  source.close();
  assert.deepEqual(log, ["open 1", "comment ping", "message a id=3 1", "comment ", "comment tick 2"]);
  // Without the option, comments cost nothing and fire nothing.
  const quiet = scripted([() => sse(": ping\ndata: a\n\n")]);
  const plain = new EventSource("http://example.test/", { fetch: quiet.fetch, closeOnEnd: true });
  const plainLog = observe(plain, ["comment", "end"]);
  await until(() => plain.readyState === EventSource.CLOSED, "the end");
  assert.deepEqual(plainLog, ["open 1", "message a id= 1", "end undefined"]);
  // events() yields them as messages of type "comment".
  const stream = scripted([() => sse(": hb\ndata: x\n\n")]);
  const seen = [];
  for await (const m of events("http://example.test/", { fetch: stream.fetch, closeOnEnd: true, comments: true })) seen.push(`${m.type} ${m.data}`);
  assert.deepEqual(seen, ["comment hb", "message x"]);
});

test("EventSource shell: dispatchOnEnd dispatches a last event without its blank line at a clean end, not at a cut", async () => {
  for (const [tail, want] of [
    ["data: last", ["message first", "message last"]],
    ["data: last\n", ["message first", "message last"]],
    ["data: last\r", ["message first", "message last"]],
    ["event: done\ndata: last\r\n", ["message first", "done last"]],
    ["", ["message first"]],
  ]) {
    const { fetch } = scripted([() => sse(`data: first\n\n${tail}`)]);
    const seen = [];
    for await (const m of events("http://example.test/", { fetch, closeOnEnd: true, dispatchOnEnd: true })) seen.push(`${m.type} ${m.data}`);
    assert.deepEqual(seen, want, JSON.stringify(tail));
    // Without the option the standard drops it.
    const standard = scripted([() => sse(`data: first\n\n${tail}`)]);
    const dropped = [];
    for await (const m of events("http://example.test/", { fetch: standard.fetch, closeOnEnd: true })) dropped.push(`${m.type} ${m.data}`);
    assert.deepEqual(dropped, ["message first"], JSON.stringify(tail));
  }
  // A network error is no clean end: the cut event is dropped all the same.
  const cut = scripted([
    () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            if (this.sent) return controller.error(new TypeError("reset"));
            this.sent = true;
            controller.enqueue(new TextEncoder().encode("data: whole\n\ndata: cut"));
          },
        }),
        { status: 200, headers: { "content-type": "text/event-stream" } },
      ),
  ]);
  const source = new EventSource("http://example.test/", { fetch: cut.fetch, dispatchOnEnd: true });
  const log = observe(source);
  await until(() => log.length === 3, "the reconnect");
  source.close();
  assert.deepEqual(log, ["open 1", "message whole id= 1", "error 0 EventSourceError"]);
});

test("EventSource shell: reconnect() drops the response and reconnects at once with the last event ID", async () => {
  const { fetch, requests } = scripted([() => sseOpen("id: 7\ndata: a\n\nid: 8\ndata: cut"), () => sseOpen("data: b\n\n")]);
  // A slow policy: only reconnect() can make the second request come soon.
  const source = new EventSource("http://example.test/", { fetch, retry: { initialMs: 60_000 } });
  const log = observe(source);
  await until(() => log.length === 2, "the first message");
  source.reconnect();
  assert.equal(source.readyState, EventSource.CONNECTING);
  await until(() => log.length === 5, "the second connection's message");
  source.close();
  assert.deepEqual(log, ["open 1", "message a id=7 1", "error 0 EventSourceError", "open 1", "message b id=7 1"]);
  assert.equal(requests[1].init.headers["last-event-id"], "7", "the cut event's id is not committed");
  source.reconnect(); // closed: nothing
  await settle();
  assert.equal(requests.length, 2);
  assert.equal(log.length, 5, log.join());
});

test("EventSource shell: a server that sends retry: 0 and hangs up at once gets the backoff, not a tight loop", async (t) => {
  const clock = virtualClock(t);
  const times = [];
  const fetch = async () => {
    times.push(Date.now());
    // A tight loop stops here instead of starving the test.
    if (times.length > 20) return new Promise(() => {});
    return new Response("retry: 0\ndata: hi\n\n", { status: 200, headers: { "content-type": "text/event-stream" } });
  };
  const source = new EventSource("http://example.test/", { fetch, retry: { initialMs: 200 } });
  await clock.settle();
  for (let i = 0; i < 10; i++) await clock.advance(100);
  source.close();
  // The server's 0 ms once, then the policy's 200 ms each time: a request
  // every 200 ms of the clock, not thousands at once.
  assert.deepEqual(times, [0, 0, 200, 400, 600, 800, 1000]);
});

test("EventSource shell: a last event ID of 1 MB is sent on reconnect without a stack overflow", async () => {
  const id = "x".repeat(1 << 20);
  const { fetch, requests } = scripted([() => sse(`id: ${id}\ndata: a\n\n`), () => sseOpen("data: b\n\n")]);
  const source = new EventSource("http://example.test/", { fetch, retry: { initialMs: 1 } });
  const log = observe(source);
  await until(() => log.length === 5, "the second connection's message");
  source.close();
  assert.equal(requests[1].init.headers["last-event-id"], id);
});

test("events(): reads the body only as fast as the loop takes messages", async () => {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream(
    {
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("data: x\n\n".repeat(100)));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  const fetch = async () => new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  const iterator = events("http://example.test/", { fetch });
  let taken = 0;
  for await (const message of iterator) {
    assert.equal(message.data, "x");
    if (++taken === 10) break;
  }
  // Leaving the loop closes the source, which cancels the body: no pull
  // comes after that. The queue stops the reader at 256 waiting messages: a
  // few chunks of 100, not an endless stream read into memory.
  await until(() => cancelled, "the body cancelled");
  assert.ok(pulled <= 4, `${pulled} chunks pulled for 10 messages taken`);
});

test("events(): removes its listener from the caller's signal when the loop ends", async () => {
  const { signal } = new AbortController();
  const { fetch } = scripted([() => sse("data: a\n\n")]);
  for await (const m of events("http://example.test/", { fetch, closeOnEnd: true, signal })) {
    assert.equal(m.data, "a");
    assert.ok(getEventListeners(signal, "abort").length > 0, "listening while it runs");
  }
  assert.equal(getEventListeners(signal, "abort").length, 0, "no listener left on the caller's signal");
});

test("SseParser: free() gives the memory back and later calls throw; using calls it", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.feed("data: a\n\n").map((e) => e.data), ["a"]);
  parser.free();
  parser.free(); // twice is fine
  assert.throws(() => parser.feed("data: b\n\n"), TypeError);
  assert.throws(() => parser.bufferedBytes, TypeError);
  // `using` calls [Symbol.dispose]: it frees the parser.
  const disposed = new SseParser();
  disposed[Symbol.dispose ?? Symbol.for("Symbol.dispose")]();
  assert.throws(() => disposed.feed("data: c\n\n"), TypeError);
});

test("ready and load resolve to undefined: no raw wasm exports in the public API", async () => {
  assert.equal(await ready, undefined);
  assert.equal(await load("unused: already loaded"), undefined);
  assert.equal(loadSync(new Uint8Array()), undefined);
});

test("EventSource over Node's fetch: redirect \"error\" fails for good on a redirect, where the default follows it", {
  skip: process.env.SSEKIT_TEST_SERVER ? false : "SSEKIT_TEST_SERVER not set",
}, async () => {
  const url = `${process.env.SSEKIT_TEST_SERVER}/redirect/307`;
  const refused = new EventSource(url, { redirect: "error", retry: { initialMs: 10 } });
  const log = observe(refused);
  await until(() => refused.readyState === EventSource.CLOSED, "the refusal");
  assert.deepEqual(log, ["error 2 EventSourceError"]);
  const followed = new EventSource(url, { retry: { initialMs: 10 } });
  const followedLog = observe(followed);
  await until(() => followedLog.length >= 2, "the redirected stream's first message");
  followed.close();
  assert.deepEqual(followedLog.slice(0, 2), ["open 1", "message 0 id=0 1"]);
});

test("EventSource shell: malformed values of the new options throw from the constructor, before any request", () => {
  const fetch = () => assert.fail("no request for a refused option");
  for (const [init, error] of [
    [{ redirect: "sometimes" }, TypeError],
    [{ redirect: 1 }, TypeError],
    [{ retry: { resetAfterMs: -1 } }, RangeError],
    [{ retry: { resetAfterMs: 1.5 } }, RangeError],
    [{ retry: { resetAfterMs: "60s" } }, RangeError],
  ]) {
    assert.throws(() => new EventSource("http://example.test/", { fetch, ...init }), error, JSON.stringify(init));
  }
});
