// A static server for page tests of the web build: `/` is an empty page and
// `/pkg/*` serves the package directory, so a test page can
// `import("/pkg/index.js")` from its own origin. `pages` adds files by path
// (e.g. a page and its script), and `headers` go on every response (e.g. a
// Content-Security-Policy).
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";

const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

export async function servePackage(pkgDir, { pages = {}, headers = {} } = {}) {
  const root = resolve(pkgDir);
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    try {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      if (path === "/favicon.ico") return res.writeHead(204).end();
      if (path === "/") return res.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>ssekit test</title>");
      if (path in pages) return res.writeHead(200, { "Content-Type": types[extname(path)] ?? "text/plain" }).end(pages[path]);
      if (!path.startsWith("/pkg/") || path.includes("..")) throw new Error("not found");
      const body = await readFile(join(root, path.slice(5)));
      res.writeHead(200, { "Content-Type": types[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
