// A real HTTP server for the browser tests: it streams SSE and injects the
// faults a client must survive. Plain Node (no dependencies), so it starts in
// well under a second.
//
//   node tests/server/sse-server.mjs [port]     # prints "listening <port>"
//
// Every response answers CORS for any origin (credentials included), and every
// preflight is accepted, so the test page (served from another port) can send
// custom headers, Last-Event-ID and bodies — unless a request asks for a CORS
// fault with `cors=`: `none` (no Access-Control-Allow-Origin), `wrong` (another
// origin), `empty` (an empty one), `nolei` (preflights do not allow the
// Last-Event-ID header); and `corp=none` leaves out Cross-Origin-Resource-Policy.
//
// Endpoints (query parameters in brackets):
//   /stream [n=3 interval=0 event= retry= ids=1 idtext= comments=0 tail= end=eof|hold]
//                                n events "0".."n-1" (idtext: every event's id is that text;
//                                comments=1: a comment ": ping <i>" before each; tail: written
//                                as it is after the events, e.g. a last event with no blank line)
//   /seq    [key n=5 drop=0 interval=0 gate overlap=0]  resumable: ids 1..n continuing
//                                after Last-Event-ID (or the lastEventId query parameter;
//                                overlap=K: from K events before it, as an at-least-once
//                                server replays);
//                                drop=K cuts the connection after K events (mid-event);
//                                interval: ms between events; gate: the first event waits
//                                until /open?gate= names that gate
//   /open  [gate]                opens a gate (see /seq)
//   /split                       hostile chunk boundaries: CR|LF, inside UTF-8 characters
//   /chunks [b64 cuts end=eof|hold]  the base64url body `b64`, one HTTP chunk per piece between
//                                the byte offsets `cuts` (e.g. cuts=1,5,9): exact chunking
//   /once  [key]                 one event with the Authorization header as its data, then EOF;
//                                401 for an Authorization already seen with that key (a token
//                                that is valid once, as an expiring one is)
//   /cut                         one event, then half an event, then a dropped socket
//   /status/<code>               that status, with an SSE content type
//   /type/<essence>              200 with that content type (e.g. text/plain)
//   /redirect/<301|307> [to]     redirect to `to` (default /stream)
//   /echo                        one event whose data is the request as JSON, then EOF
//   /drip  [text ms=20]          one event's bytes, one write per byte
//   /huge  [bytes=1048576]       one event of that many data bytes
//   /reset                       accepts, then destroys the socket (a network error)
//   /hostile [kind bytes]        `bytes` of a hostile stream, then "data: after", then held open:
//                                kind=line (one data line, no newline), lines (1 KiB data lines,
//                                no blank line), invalid (4 KiB events of invalid UTF-8),
//                                tiny ("data:x" events)
//   /flaky [key fail=1]          503 for the first `fail` requests with that key, then one event, then EOF
//   /stats [key]                 JSON: requests (and preflights) seen with ?key=, in order; each
//                                with `closed: true` once its connection is gone
//
// With SSE_SERVER_EXIT_ON_STDIN_END=1 the server exits when its stdin closes, so a test
// process that spawned it cannot leave it behind.
//   /pkg/<file>                  the built npm package ($SSEKIT_PKG, default pkg/): the browser
//                                tests load its ssekit.wasm from here
import http from "node:http";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const requests = new Map(); // key -> [{ lastEventId, method }]

function cors(req, res, fault, corp) {
  const origin = req.headers.origin;
  if (fault === "none") {
    // No CORS headers at all.
  } else if (fault === "wrong" || fault === "empty") {
    res.setHeader("Access-Control-Allow-Origin", fault === "wrong" ? "http://wrong.example" : "");
  } else if (origin) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
    res.setHeader("Vary", "Origin");
  } else {
    res.setHeader("Access-Control-Allow-Origin", "*");
  }
  res.setHeader("Access-Control-Expose-Headers", "X-Test-Reason");
  // The test pages are cross-origin isolated (wasm-bindgen-test serves them
  // with COEP require-corp): a no-cors response reaches them only with this
  // header, and EventSource's CORS probe is a no-cors request.
  if (corp !== "none") res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
}

function sse(res, status = 200) {
  res.writeHead(status, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const gates = new Map(); // name -> { promise, open }
function gate(name) {
  if (!gates.has(name)) {
    let open;
    const promise = new Promise((resolve) => (open = resolve));
    gates.set(name, { promise, open });
  }
  return gates.get(name);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const routes = {
  async stream(req, res, q) {
    const n = Number(q.get("n") ?? 3);
    const interval = Number(q.get("interval") ?? 0);
    sse(res);
    if (q.has("retry")) res.write(`retry: ${q.get("retry")}\n\n`);
    for (let i = 0; i < n; i++) {
      if (interval) await sleep(interval);
      let text = "";
      if (q.has("idtext")) text += `id: ${q.get("idtext")}\n`;
      else if (q.get("ids") !== "0") text += `id: ${i}\n`;
      if (q.has("event")) text += `event: ${q.get("event")}\n`;
      if (q.get("comments") === "1") text = `: ping ${i}\n${text}`;
      res.write(`${text}data: ${i}\n\n`);
    }
    if (q.has("tail")) res.write(q.get("tail"));
    if (q.get("end") === "hold") return; // keep the connection open
    res.end();
  },

  async seq(req, res, q) {
    const n = Number(q.get("n") ?? 5);
    const drop = Number(q.get("drop") ?? 0);
    const interval = Number(q.get("interval") ?? 0);
    const asked = Number(req.headers["last-event-id"] ?? q.get("lastEventId") ?? 0);
    const last = asked ? Math.max(0, asked - Number(q.get("overlap") ?? 0)) : 0;
    sse(res);
    // A comment first: Firefox's fetch answers only once body bytes come.
    if (q.has("gate")) {
      res.write(": waiting at the gate\n\n");
      await gate(q.get("gate")).promise;
    }
    let sent = 0;
    for (let id = last + 1; id <= n && !res.destroyed; id++) {
      if (interval && id > last + 1) await sleep(interval);
      if (drop && sent === drop) {
        // Let the whole events reach the client first: bytes in flight when
        // a connection breaks may be dropped by the browser's network stack.
        await sleep(30);
        res.write(`id: ${id}\ndata: partial`); // cut mid-event: never dispatched
        await sleep(30);
        res.destroy();
        return;
      }
      res.write(`id: ${id}\ndata: event ${id}\n\n`);
      sent++;
    }
    res.end();
  },

  async open(req, res, q) {
    gate(q.get("gate")).open();
    res.writeHead(204).end();
  },

  async split(req, res) {
    sse(res);
    const bytes = Buffer.from("data: a\r\ndata: café 😀\r\n\r\nid: 7\rdata: b\r\r", "utf8");
    // Cut between every CR and LF and inside every multibyte character.
    const cuts = [];
    for (let i = 1; i < bytes.length; i++) {
      const prev = bytes[i - 1], cur = bytes[i];
      if ((prev === 0x0d && cur === 0x0a) || (cur & 0xc0) === 0x80) cuts.push(i);
    }
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      res.write(bytes.subarray(start, cut));
      start = cut;
      await sleep(5);
    }
    res.end();
  },

  async chunks(req, res, q) {
    const bytes = Buffer.from(q.get("b64") ?? "", "base64url");
    const cuts = (q.get("cuts") ?? "").split(",").filter(Boolean).map(Number);
    sse(res);
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (cut > start) res.write(bytes.subarray(start, cut));
      start = Math.max(start, cut);
    }
    if (q.get("end") === "hold") return;
    res.end();
  },

  async once(req, res, q) {
    const auth = req.headers.authorization ?? "";
    const seen = requests.get(q.get("key")) ?? [];
    if (seen.slice(0, -1).some((r) => r.authorization === auth)) {
      res.writeHead(401, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ error: "token already used" }));
    }
    sse(res);
    res.end(`data: ${auth}\n\n`);
  },

  async cut(req, res) {
    sse(res);
    res.write("id: 1\ndata: whole\n\n");
    await sleep(30);
    res.write("id: 2\ndata: half");
    await sleep(30);
    res.destroy();
  },

  async status(req, res, q, rest) {
    const code = Number(rest);
    res.writeHead(code, { "Content-Type": "text/event-stream", "X-Test-Reason": `status ${code}` });
    res.end(code === 204 ? undefined : "data: must not be dispatched\n\n");
  },

  async type(req, res, q, rest) {
    res.writeHead(200, { "Content-Type": decodeURIComponent(rest) });
    res.end("data: must not be dispatched\n\n");
  },

  async redirect(req, res, q, rest) {
    res.writeHead(Number(rest), { Location: q.get("to") ?? "/stream?n=2" });
    res.end();
  },

  async echo(req, res) {
    const body = await readBody(req);
    sse(res);
    const echo = {
      method: req.method,
      headers: req.headers,
      body: body.toString("utf8"),
      bodyBase64: body.toString("base64"),
      lastEventId: req.headers["last-event-id"] ?? null,
    };
    res.end(`data: ${JSON.stringify(echo)}\n\n`);
  },

  async drip(req, res, q) {
    const text = q.get("text") ?? "data: drip\n\n";
    const ms = Number(q.get("ms") ?? 20);
    sse(res);
    for (const byte of Buffer.from(text, "utf8")) {
      res.write(Buffer.from([byte]));
      await sleep(ms);
    }
    res.end();
  },

  async huge(req, res, q) {
    const bytes = Number(q.get("bytes") ?? 1 << 20);
    sse(res);
    res.write("data: ");
    const block = "x".repeat(64 * 1024);
    for (let left = bytes; left > 0; left -= block.length) res.write(block.slice(0, Math.min(left, block.length)));
    res.end("\n\n");
  },

  async hostile(req, res, q) {
    const bytes = Number(q.get("bytes") ?? 1 << 20);
    const units = {
      line: [Buffer.from("data: "), Buffer.from("x")],
      lines: [Buffer.alloc(0), Buffer.from(`data: ${"y".repeat(1017)}\n`)],
      invalid: [Buffer.alloc(0), Buffer.concat([Buffer.from("data: "), Buffer.alloc(4088, 0xff), Buffer.from("\n\n")])],
      tiny: [Buffer.alloc(0), Buffer.from("data:x\n\n")],
    }[q.get("kind")];
    if (!units) return res.writeHead(400).end("unknown kind");
    const [head, unit] = units;
    const block = Buffer.concat(Array(Math.floor((64 * 1024) / unit.length)).fill(unit));
    sse(res);
    res.write(head);
    for (let left = bytes; left > 0 && !res.destroyed; left -= block.length) {
      // Respect backpressure: gigabytes must not pile up in this process.
      if (!res.write(left >= block.length ? block : block.subarray(0, left))) {
        await new Promise((ok) => {
          const go = () => {
            res.off("drain", go).off("close", go);
            ok();
          };
          res.on("drain", go).on("close", go);
        });
      }
    }
    res.write("\n\ndata: after\n\n");
  },

  async reset(req, res) {
    // Start a response, then drop the socket: a network error. (Dropping it
    // before any byte makes browsers silently retry on a fresh socket.)
    req.socket.end("HTTP/1.1 200 OK\r\n");
    req.socket.destroy();
  },

  async flaky(req, res, q) {
    const seen = requests.get(q.get("key"))?.filter((r) => r.method !== "OPTIONS").length ?? 0;
    if (seen <= Number(q.get("fail") ?? 1)) {
      sse(res, 503);
      res.end();
      return;
    }
    sse(res);
    res.end("data: recovered\n\n");
  },
  async pkg(req, res, q, file) {
    if (!/^[\w.-]+$/.test(file)) throw new Error("bad package path");
    const body = await readFile(join(resolve(process.env.SSEKIT_PKG ?? "pkg"), file));
    const type = file.endsWith(".wasm") ? "application/wasm" : file.endsWith(".js") ? "text/javascript" : "application/octet-stream";
    res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" });
    res.end(body);
  },
  async stats(req, res, q) {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(requests.get(q.get("key")) ?? []));
  },
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  const q = url.searchParams;
  cors(req, res, q.get("cors"), q.get("corp"));
  if (q.has("key") && url.pathname !== "/stats") {
    const seen = requests.get(q.get("key")) ?? [];
    seen.push({
      method: req.method,
      lastEventId: req.headers["last-event-id"] ?? null,
      requestHeaders: req.headers["access-control-request-headers"] ?? null,
      authorization: req.headers.authorization ?? null,
      at: Date.now(),
    });
    const entry = seen.at(-1);
    res.on("close", () => (entry.closed = true));
    requests.set(q.get("key"), seen);
  }
  if (req.method === "OPTIONS") {
    res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
    const asked = req.headers["access-control-request-headers"] ?? "";
    const allowed = q.get("cors") === "nolei" ? asked.split(",").map((h) => h.trim()).filter((h) => h.toLowerCase() !== "last-event-id").join(", ") : asked;
    res.setHeader("Access-Control-Allow-Headers", allowed);
    res.setHeader("Access-Control-Max-Age", "600");
    res.writeHead(204);
    return res.end();
  }
  const [, name, rest = ""] = url.pathname.match(/^\/([a-z]+)\/?(.*)$/) ?? [];
  const route = routes[name];
  if (!route) {
    res.writeHead(404, { "Content-Type": "text/plain" });
    return res.end("no such endpoint\n");
  }
  try {
    await route(req, res, q, rest);
  } catch (error) {
    res.destroy(error);
  }
});

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
server.listen(port, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
if (process.env.SSE_SERVER_EXIT_ON_STDIN_END === "1") {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
