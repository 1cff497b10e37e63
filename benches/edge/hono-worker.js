// The comparison worker for the edge benchmark: the same numbered stream as
// the hub's GET /ticks (event "tick", id and data n, from 1 to count, every
// `interval_ms` or all at once), written with hono's streamSSE, the usual way
// to serve SSE from a JavaScript worker.
// Bundled with esbuild by `npm run bench:edge:hono` (`cargo xtask bench edge` runs it).
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";

const app = new Hono();

app.get("/ticks", (c) => {
  const count = Number(c.req.query("count") ?? 10);
  const interval = Number(c.req.query("interval_ms") ?? 0);
  return streamSSE(c, async (stream) => {
    for (let n = 1; n <= count; n++) {
      if (interval > 0 && n > 1) await stream.sleep(interval);
      const id = String(n);
      await stream.writeSSE({ event: "tick", id, data: id });
    }
  });
});

export default app;
