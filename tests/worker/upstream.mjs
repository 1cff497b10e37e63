// A local upstream for the relay tests and benchmark: a plain Node HTTP
// server answering like an LLM API that streams (OpenAI-style `data: {json}`
// chunks and a final `data: [DONE]`), and failing in the ways a relay must
// survive. It records every request (method, headers, body) and when its
// connection closed, so tests can see what reached it and when it was
// aborted (and, with upstreamCallsOf below, what an action made reach it).
//
// Paths (any method):
//   /chat      the CHAT_STREAM below, written in pieces split at hostile
//              places (inside a field name, inside UTF-8 characters,
//              between CR and LF, inside the blank line), a few ms apart
//   /status500 a 500 with a JSON error body
//   /html      200 text/html
//   /cut       two events and half of a third, then the socket destroyed
//   /huge      one event of 16 MiB of data (over the default limit), then
//              a small one, then nothing until the client goes away
//   /hold      one event, then nothing until the client goes away
//   /silent    no response at all until the client goes away
//   /bench?events=N  N chat chunks as fast as the socket takes them
import http from "node:http";
import assert from "node:assert/strict";
import { once } from "node:events";

const enc = (value) => JSON.stringify(value);

/** The chat chunks the upstream streams, as OpenAI sends them. */
export const CHAT_CHUNKS = [
  { id: "c1", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
  { id: "c1", choices: [{ index: 0, delta: { content: "Héllo" } }] },
  { id: "c1", choices: [{ index: 0, delta: { content: " wörld 🌍" } }] },
  { id: "c1", choices: [{ index: 0, delta: { content: " 日本語" } }] },
];

// A comment and a retry (not relayed), LF, CRLF and CR line endings, an
// event with a type and an id, a two-line data, then [DONE].
export const CHAT_STREAM =
  ": upstream says hi\n\n" +
  "retry: 10\n\n" +
  `data: ${enc(CHAT_CHUNKS[0])}\n\n` +
  `data: ${enc(CHAT_CHUNKS[1])}\r\n\r\n` +
  `id: 42\r\nevent: delta\r\ndata: ${enc(CHAT_CHUNKS[2])}\r\n\r\n` +
  `data: ${enc(CHAT_CHUNKS[3])}\rdata: second line\r\r` +
  "data: [DONE]\n\n";

/** What a client of the relay receives for CHAT_STREAM: [type, id, data]
 * (id: the event's own `id` field, undefined when it has none). */
export const CHAT_EXPECTED = [
  ["message", undefined, enc(CHAT_CHUNKS[0])],
  ["message", undefined, enc(CHAT_CHUNKS[1])],
  ["delta", "42", enc(CHAT_CHUNKS[2])],
  ["message", undefined, `${enc(CHAT_CHUNKS[3])}\nsecond line`],
  ["message", undefined, "[DONE]"],
];

/** CHAT_STREAM's bytes cut at hostile places. */
function hostilePieces() {
  const bytes = Buffer.from(CHAT_STREAM, "utf8");
  const at = (text, offset, from = 0) => {
    const index = bytes.indexOf(Buffer.from(text, "utf8"), from);
    if (index < 0) throw new Error(`no ${text} in the chat stream`);
    return index + offset;
  };
  const cuts = [
    at("data:", 2), // inside the first field name
    at("é", 1), // inside a 2-byte character
    at("\r\n\r\n", 1), // between CR and LF
    at("\r\n\r\n", 3), // between the CR and LF of the blank line
    at("🌍", 1), // inside a 4-byte character
    at("🌍", 3),
    at("日", 2), // inside a 3-byte character
    at("\rdata: second", 1), // right after a lone CR (is an LF coming?)
    at("[DONE]", 3),
  ].sort((a, b) => a - b);
  const pieces = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Resolves when `res` can take more, or has closed. */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SSE = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" };
export const HUGE_EVENT_BYTES = 16 * 1024 * 1024;

async function answer(path, req, res, url) {
  switch (path) {
    case "/chat": {
      res.writeHead(200, SSE);
      res.flushHeaders();
      for (const piece of hostilePieces()) {
        res.write(piece);
        await sleep(5); // so that each piece leaves in a packet of its own
      }
      res.end();
      return;
    }
    case "/status500":
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(enc({ error: { message: "boom: invalid key sk-tes...123" } }));
      return;
    case "/html":
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end("<!doctype html><p>data: not an event</p>\n\n");
      return;
    case "/cut":
      res.writeHead(200, SSE);
      res.write(`data: ${enc(CHAT_CHUNKS[0])}\n\ndata: ${enc(CHAT_CHUNKS[1])}\n\n`);
      await sleep(50);
      res.write(`data: ${enc(CHAT_CHUNKS[2]).slice(0, 20)}`);
      await sleep(50);
      res.socket.destroy();
      return;
    case "/huge": {
      res.writeHead(200, SSE);
      res.write("data: ");
      const mib = Buffer.alloc(1024 * 1024, "x");
      for (let i = 0; i < HUGE_EVENT_BYTES / mib.length && !res.destroyed; i++) {
        if (!res.write(mib)) await drained(res);
      }
      res.write("\n\ndata: after\n\n");
      return; // until the client goes away
    }
    case "/hold":
      res.writeHead(200, SSE);
      res.write(`data: ${enc(CHAT_CHUNKS[0])}\n\n`);
      return; // until the client goes away
    case "/silent":
      return; // no answer at all
    case "/bench": {
      const events = Number(url.searchParams.get("events") ?? 1000);
      res.writeHead(200, SSE);
      const event = Buffer.from(`data: ${enc(CHAT_CHUNKS[1])}\n\n`);
      const batch = Buffer.concat(Array(256).fill(event));
      let sent = 0;
      while (sent + 256 <= events) {
        if (!res.write(batch)) await drained(res);
        sent += 256;
      }
      for (; sent < events; sent++) res.write(event);
      res.end("data: [DONE]\n\n");
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

/**
 * Starts the upstream on a loopback port. `requests` lists every request:
 * `{ path, method, headers, body, closedAt, aborted, closed }` (`closed`
 * resolves when its response closed; `aborted`: before it finished).
 */
export async function startUpstream() {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    req.socket.setNoDelay(true);
    const url = new URL(req.url, "http://upstream");
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const record = {
      path: url.pathname,
      method: req.method,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      closedAt: null,
      aborted: false,
    };
    record.closed = new Promise((resolve) => {
      res.on("close", () => {
        record.closedAt = performance.now();
        record.aborted = !res.writableFinished;
        resolve(record);
      });
    });
    requests.push(record);
    try {
      await answer(url.pathname, req, res, url);
    } catch {
      res.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}

let barriers = 0;
/**
 * The bodies of the requests to `upstream` that `action` caused. A relay
 * the hub passes on reaches the upstream before the hub can answer it (it
 * answers with the upstream's stream), so one relay that must pass, made
 * after `action`, is a barrier: what the upstream recorded besides it came
 * from `action`. `barrier(marker)` makes that relay, with `marker` in its
 * body, and resolves once the hub has answered it.
 */
export async function upstreamCallsOf(upstream, barrier, action) {
  const before = upstream.requests.length;
  await action();
  const marker = `barrier ${process.pid} ${barriers++}`;
  await barrier(marker);
  const calls = upstream.requests.slice(before);
  assert.ok(calls.some((r) => r.body.includes(marker)), "the barrier relay reached the upstream");
  return calls.filter((r) => !r.body.includes(marker)).map((r) => r.body);
}
