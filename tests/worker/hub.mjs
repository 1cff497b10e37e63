// Starts the built hub worker (hub/build, from `cargo xtask build worker`) in
// workerd through Miniflare's Node API, listening on a loopback port so that
// any real client (Node fetch, the `eventsource` package, Chromium) can
// reach it. Durable Object storage persists in `persistDir` when given, so
// a second start with the same directory is a restart of the same objects.
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export const PUBLISH_TOKEN = "test-publish-token";

export async function startHub({ persistDir, vars = {} } = {}) {
  const options = convertV4MiniflareOptions({
    rootPath: root,
    modulesRoot: "hub/build",
    modules: [
      { type: "ESModule", path: "hub/build/index.js" },
      { type: "CompiledWasm", path: "hub/build/index_bg.wasm" },
    ],
    compatibilityDate: "2026-11-01",
    durableObjects: { CHANNELS: { className: "Channel", useSQLite: true } },
    // Miniflare 5: storage lives under this directory (in memory without it).
    ...(persistDir ? { resourcePersistencePath: persistDir } : {}),
    bindings: {
      PUBLISH_TOKEN,
      ALLOWED_ORIGINS: "*",
      HEARTBEAT_MS: "15000",
      // SSEKIT_FANOUT=streams runs the tests against the other fan-out.
      ...(process.env.SSEKIT_FANOUT ? { FANOUT: process.env.SSEKIT_FANOUT } : {}),
      ...vars,
    },
    cf: false,
    host: "127.0.0.1",
    port: 0,
  });
  const mf = new Miniflare(options);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    mf,
    url,
    async stop() {
      await mf.dispose();
    },
  };
}

/**
 * POSTs `body` (an object, sent as JSON, or a raw string) to a channel with
 * the publish token (`token`: another one, or null for none). Returns the
 * status and the JSON answer; callers assert on them.
 */
export async function publish(base, channel, body, token = PUBLISH_TOKEN) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/channels/${channel}/events`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** The channel's `GET …/stats` answer (`subscribers`, …). */
export async function channelStats(base, channel) {
  return (await fetch(`${base}/channels/${channel}/stats`)).json();
}
