// Starts the built hub worker (hub/build, from scripts/build-worker.sh) in
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
