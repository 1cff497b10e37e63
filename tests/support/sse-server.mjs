// The fault-injecting SSE test server (tests/server/sse-server.mjs) for Node
// tests and benches: the one the test command started ($SSEKIT_TEST_SERVER),
// or a child process of this one on a free port.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../server/sse-server.mjs", import.meta.url));

/** `{ url, stop() }`; with `fresh`, always a server of its own. */
export async function startSseServer({ fresh = false } = {}) {
  if (process.env.SSEKIT_TEST_SERVER && !fresh) return { url: process.env.SSEKIT_TEST_SERVER, stop() {} };
  const child = spawn(process.execPath, [script, "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((ok, fail) => {
    child.stdout.on("data", (text) => {
      const match = /listening (\d+)/.exec(String(text));
      if (match) ok(match[1]);
    });
    child.on("exit", () => fail(new Error("the SSE test server exited")));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** The requests the server at `url` saw with `key`, in order; CORS preflights left out. */
export async function requestsSeen(url, key) {
  const all = await (await fetch(`${url}/stats?key=${key}`)).json();
  return all.filter((request) => request.method !== "OPTIONS");
}
