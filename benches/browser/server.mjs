// Serves the browser benchmark: static files from the repository (the
// package, node_modules, the bench page, the fixtures), gzip-compressed for
// a client that accepts it, as a production server sends them; and SSE
// endpoints:
// /sse?n&size streams events as fast as the socket takes them (then ends, so
// a client reconnects); /steady?rate&seconds at a steady rate.
//
//   node benches/browser/server.mjs [port]     # prints "listening <port>"
import http from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".sse": "application/octet-stream",
};

async function resolveFile(urlPath) {
  const file = path.join(root, decodeURIComponent(urlPath));
  if (!file.startsWith(root)) return null;
  // Extensionless ES module imports (some npm packages ship them).
  for (const candidate of [file, `${file}.js`]) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {}
  }
  return null;
}

// `n` events of about `size` bytes of JSON, written in batches; the socket's
// back-pressure sets the pace.
async function stream(res, n, size) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  const pad = "x".repeat(Math.max(0, size - 40));
  let batch = "";
  for (let i = 1; i <= n; i++) {
    batch += `id: ${i}\ndata: {"seq":${i},"pad":"${pad}"}\n\n`;
    if (i % 200 === 0 || i === n) {
      if (!res.write(batch)) await new Promise((resolve) => res.once("drain", resolve));
      batch = "";
    }
  }
  res.end();
}

// `rate` events of about 100 bytes per second for `seconds`, then the end.
function steady(res, rate, seconds) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  const perTick = rate / 100; // every 10 ms
  let sent = 0;
  const total = rate * seconds;
  const started = Date.now();
  const timer = setInterval(() => {
    // Catch up with the wall clock, so the rate holds whatever the timer does.
    const due = Math.min(total, Math.floor(((Date.now() - started) / 10 + 1) * perTick));
    let batch = "";
    for (; sent < due; sent++) batch += `id: ${sent + 1}\ndata: {"seq":${sent + 1},"pad":"${"x".repeat(60)}"}\n\n`;
    if (batch) res.write(batch);
    if (sent >= total) {
      clearInterval(timer);
      res.end();
    }
  }, 10);
  res.on("close", () => clearInterval(timer));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  const q = url.searchParams;
  if (url.pathname === "/sse") {
    return stream(res, Number(q.get("n") ?? 10000), Number(q.get("size") ?? 100));
  }
  if (url.pathname === "/steady") {
    return steady(res, Number(q.get("rate") ?? 1000), Number(q.get("seconds") ?? 60));
  }
  if (url.pathname === "/") {
    res.writeHead(302, { Location: "/benches/browser/bench.html" });
    return res.end();
  }
  const file = await resolveFile(url.pathname);
  if (!file) {
    res.writeHead(404);
    return res.end("not found");
  }
  const type = types[path.extname(file)] ?? "application/octet-stream";
  const body = await readFile(file);
  if (type !== "application/octet-stream" && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
    res.writeHead(200, { "Content-Type": type, "Content-Encoding": "gzip", Vary: "Accept-Encoding" });
    return res.end(gzipSync(body, { level: 9 }));
  }
  res.writeHead(200, { "Content-Type": type });
  res.end(body);
});

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => console.log(`listening ${server.address().port}`));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
