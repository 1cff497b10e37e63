// A fault-injecting HTTP proxy for the reconnect soak. It forwards requests
// to the hub worker and breaks each subscription stream in one of several
// ways, chosen per request by `plan()`:
//
//   eof            after K whole events, a clean end of the body
//   cut-between    after K whole events, the socket is destroyed
//   cut-mid-event  after K whole events, half of the next one, then destroyed
//   drop           status line and headers, then destroyed before any event
//   status-503     a 503 answer instead of the stream (upstream not asked)
//
// Every request is recorded (arrival time, Last-Event-ID, fault, when the
// fault struck) so the soak can check reconnect delays against the policy.
import http from "node:http";

const BOUNDARY = "\n\n";

export async function startFaultProxy({ target, plan }) {
  const upstream = new URL(target);
  const requests = [];

  const server = http.createServer((req, res) => {
    const isStream = req.method === "GET" && /\/channels\/[^/]+\/events$/.test(new URL(req.url, "http://x").pathname);
    const fault = isStream ? plan() : { kind: "pass" };
    const record = {
      at: Date.now(),
      lastEventId: req.headers["last-event-id"] ?? null,
      kind: fault.kind,
      after: fault.after ?? null,
      struckAt: null,
    };
    if (isStream) requests.push(record);
    // When the fault hit the client: the reconnect delay is measured from here.
    const strike = () => (record.struckAt = Date.now());

    if (fault.kind === "status-503") {
      res.writeHead(503, {
        "Content-Type": "text/event-stream",
        "Access-Control-Allow-Origin": req.headers.origin ?? "*",
      });
      res.end();
      strike();
      return;
    }

    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode, upstreamRes.headers);
        res.flushHeaders();
        if (fault.kind === "pass" || upstreamRes.statusCode !== 200) {
          upstreamRes.pipe(res);
          return;
        }
        if (fault.kind === "drop") {
          // Headers out (the client opens), then a network error before any
          // event. (A socket that dies before any byte is retried silently by
          // browsers, so the status line goes first.)
          setTimeout(() => {
            strike();
            forward.destroy();
            res.socket?.destroy();
          }, 20);
          return;
        }
        let pending = "";
        let whole = 0;
        let cutting = false;
        upstreamRes.setEncoding("utf8");
        upstreamRes.on("data", (text) => {
          if (cutting) return;
          pending += text;
          let end;
          while (!cutting && (end = pending.indexOf(BOUNDARY)) >= 0) {
            const block = pending.slice(0, end + BOUNDARY.length);
            pending = pending.slice(end + BOUNDARY.length);
            if (!/^data:/m.test(block)) {
              res.write(block); // comments (preamble, heartbeats) pass through
              continue;
            }
            if (whole === fault.after) {
              cutting = true;
              forward.destroy();
              if (fault.kind === "eof") {
                strike();
                res.end();
                return;
              }
              if (fault.kind === "cut-mid-event") {
                res.write(block.slice(0, Math.max(1, Math.floor(block.length / 2))));
              }
              // Let what was written reach the client before the cut: bytes
              // in flight when a socket dies may be dropped.
              setTimeout(() => {
                strike();
                res.socket?.destroy();
              }, 30);
              return;
            }
            res.write(block);
            whole++;
          }
        });
        upstreamRes.on("end", () => res.end());
      },
    );
    forward.on("error", () => res.socket?.destroy());
    // The client went away: stop the upstream stream too. (Not req's
    // "close", which fires as soon as the request body has been read.)
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(ok);
      }),
  };
}

/** A small seeded PRNG (mulberry32), so a failing soak can be replayed. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
