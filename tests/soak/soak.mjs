// The reconnect soak: the ssekit client in headless Chromium subscribed to
// the hub's Durable Object in workerd, through the fault-injecting proxy,
// while a publisher sends numbered events; then connect/disconnect cycles
// straight against the worker. Returns a report; the callers assert on it.
//
// Used by tests/soak/soak.test.mjs (bounded, in the test command) and
// `cargo xtask soak` (full, writes RELIABILITY.md).
import { launchChromium } from "../support/chromium.mjs";
import { servePackage } from "../support/package-server.mjs";
import { startHub, publish, channelStats } from "../worker/hub.mjs";
import { eventually } from "../worker/sse-client.mjs";
import { startFaultProxy, seededRandom } from "./fault-proxy.mjs";

const KINDS = ["eof", "cut-between", "cut-mid-event", "drop", "status-503"];
// resetAfterMs 0: every open starts the count over, the model `expectedDelay` checks
// (the default, 60 s, would count these short connections as failures).
export const POLICY = { initialMs: 20, maxMs: 160, multiplier: 2, jitter: 0, statuses: [503], resetAfterMs: 0 };

/** Delay the policy prescribes after `failed` consecutive failed attempts. */
export function expectedDelay(failed) {
  return Math.min(POLICY.initialMs * POLICY.multiplier ** (failed - 1), POLICY.maxMs);
}

async function subscribers(hubUrl, channel) {
  return (await channelStats(hubUrl, channel)).subscribers;
}

/**
 * Runs the soak. `disconnects`: forced disconnects of the client;
 * `cycles`: connect/disconnect cycles against the worker afterwards.
 */
export async function runSoak({ disconnects, cycles, seed = 1, pkgDir = "pkg", log = () => {} }) {
  const random = seededRandom(seed);
  const hub = await startHub({
    vars: { HEARTBEAT_MS: "250", REPLAY_MAX_EVENTS: "100000", REPLAY_MAX_BYTES: String(64 << 20) },
  });
  let faults = 0;
  let unavailable = 0;
  const proxy = await startFaultProxy({
    target: hub.url,
    plan: () => {
      if (faults >= disconnects) return { kind: "pass" };
      faults++;
      if (unavailable > 0) {
        unavailable--;
        return { kind: "status-503" };
      }
      const kind = KINDS[Math.floor(random() * KINDS.length)];
      // 503s come in runs of 1-5, as from a restarting server, so the
      // backoff grows to its cap.
      if (kind === "status-503") unavailable = Math.floor(random() * 5);
      return { kind, after: 1 + Math.floor(random() * 3) };
    },
  });
  const page = await servePackage(pkgDir);
  const browser = await launchChromium({ label: "ssekit-soak" });
  const channel = `soak-${seed}-${Date.now()}`;
  const started = Date.now();
  let published = 0;
  let publishing = true;
  try {
    // Chromium logs every failed request; here they are the injected faults.
    const tab = await browser.newPage({ quiet: /^Failed to load resource/ });
    await tab.goto(`${page.origin}/`);
    await tab.evaluate(
      async ({ url, policy }) => {
        const ssekit = await import("/pkg/index.js");
        await ssekit.ready;
        const EventSource = ssekit.EventSource;
        const state = (window.soak = { messages: [], opens: 0, errors: [], closed: false });
        const source = new EventSource(url, { retry: policy, lastEventId: "0" });
        source.onopen = () => state.opens++;
        source.onmessage = (e) => state.messages.push([e.lastEventId, e.data]);
        source.onerror = (e) => {
          state.errors.push({ at: Date.now(), status: e.status ?? null });
          if (source.readyState === EventSource.CLOSED) state.closed = true;
        };
        window.source = source;
        await new Promise((ok) => source.addEventListener("open", ok, { once: true }));
      },
      { url: `${proxy.url}/channels/${channel}/events`, policy: POLICY },
    );

    // Publishes the next numbered event; returns its id.
    const publishNext = async () => {
      const answer = await publish(hub.url, channel, { data: String(published + 1) });
      if (answer.status !== 201) throw new Error(`publish: ${answer.status} ${JSON.stringify(answer.body)}`);
      const id = answer.body.id;
      published++;
      if (id !== String(published)) throw new Error(`hub assigned id ${id} to event ${published}`);
      return id;
    };
    // Publish numbered events until every planned disconnect has happened.
    const publisher = (async () => {
      while (publishing) {
        await publishNext();
        await new Promise((r) => setTimeout(r, 4));
      }
    })();
    let lastLog = 0;
    await eventually(
      async () => {
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          log(`  ${faults}/${disconnects} disconnects, ${published} events published`);
        }
        const closed = await tab.evaluate(() => window.soak.closed);
        if (closed) throw new Error("the client closed for good");
        return faults >= disconnects;
      },
      disconnects * 2000 + 60_000,
      "the planned disconnects",
    );
    publishing = false;
    await publisher;
    // Everything published must arrive once the client is back. One more
    // event, published last, marks the end: a connection delivers in order
    // and a resume replays after its Last-Event-ID, so a duplicate of an
    // earlier event would land before it. None can come after it: the
    // faults are spent, and one still pending ends its connection in place
    // of the next event, never after it.
    const last = await publishNext();
    await tab.waitForFunction((id) => window.soak.messages.some(([lastEventId]) => lastEventId === id), last, { timeout: 60_000 }).catch(() => {});
    const client = await tab.evaluate(() => {
      window.source.close();
      return window.soak;
    });
    const soakSeconds = (Date.now() - started) / 1000;

    // Exactness: ids 1..published, each once, each with its own data.
    const ids = client.messages.map(([id]) => Number(id));
    const seen = new Set();
    let duplicates = 0;
    let partial = 0;
    for (const [id, data] of client.messages) {
      if (seen.has(id)) duplicates++;
      seen.add(id);
      if (data !== id) partial++;
    }
    let lost = 0;
    for (let n = 1; n <= published; n++) if (!seen.has(String(n))) lost++;
    const inOrder = ids.every((id, i) => i === 0 || id > ids[i - 1]);

    // Reconnect delays: from the moment a fault struck to the next request.
    const streams = proxy.requests;
    const delays = [];
    let failed = 0;
    for (let i = 0; i + 1 < streams.length; i++) {
      const request = streams[i];
      if (request.struckAt === null) continue;
      failed = request.kind === "status-503" ? failed + 1 : 1; // an open resets the count
      delays.push({ kind: request.kind, expected: expectedDelay(failed), actual: streams[i + 1].at - request.struckAt });
    }
    const early = delays.filter((d) => d.actual < d.expected - 2);
    const lateness = delays.map((d) => d.actual - d.expected).sort((a, b) => a - b);
    const byKind = Object.fromEntries(KINDS.map((k) => [k, streams.filter((r) => r.kind === k).length]));
    // Every request after the first resumes: it carries Last-Event-ID.
    const resumed = streams.every((r) => r.lastEventId !== null);

    let subscribersAfterSoak;
    await eventually(async () => (subscribersAfterSoak = await subscribers(hub.url, channel)) === 0, 10_000, "subscribers back to zero after the soak").catch(() => {});

    // Connect/disconnect cycles straight against the worker.
    const cycleChannel = `${channel}-cycles`;
    // First show the count is live: 16 held subscriptions are 16 subscribers.
    const held = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const controller = new AbortController();
        const response = await fetch(`${hub.url}/channels/${cycleChannel}/events`, { signal: controller.signal });
        const reader = response.body.getReader();
        await reader.read();
        return { controller, reader };
      }),
    );
    const subscribersWhileHeld = await subscribers(hub.url, cycleChannel);
    for (const { controller, reader } of held) {
      controller.abort();
      await reader.read().catch(() => {});
    }
    const cyclesStarted = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < cycles) {
        next++;
        const controller = new AbortController();
        const response = await fetch(`${hub.url}/channels/${cycleChannel}/events`, { signal: controller.signal });
        const reader = response.body.getReader();
        await reader.read(); // the first bytes: subscribed
        controller.abort();
        await reader.read().catch(() => {});
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const cyclesSeconds = (Date.now() - cyclesStarted) / 1000;
    const settleStarted = Date.now();
    // The hub's own count, polled until it reaches zero or 30 s pass.
    let subscribersAfterCycles;
    await eventually(async () => (subscribersAfterCycles = await subscribers(hub.url, cycleChannel)) === 0, 30_000, "subscribers back to zero after the cycles").catch(() => {});

    return {
      seed,
      disconnects: faults,
      byKind,
      published,
      received: client.messages.length,
      lost,
      duplicates,
      partial,
      inOrder,
      resumedWithLastEventId: resumed,
      opens: client.opens,
      errors: client.errors.length,
      delays: {
        checked: delays.length,
        // How many reconnects were checked at each step of the backoff.
        byExpectedMs: delays.reduce((counts, d) => ({ ...counts, [d.expected]: (counts[d.expected] ?? 0) + 1 }), {}),
        early: early.length,
        firstEarly: early[0] ?? null,
        latenessP50: lateness[Math.floor(lateness.length / 2)] ?? 0,
        latenessP99: lateness[Math.floor(lateness.length * 0.99)] ?? 0,
      },
      soakSeconds,
      cycles,
      cyclesSeconds,
      subscribersAfterSoak,
      subscribersWhileHeld,
      subscribersAfterCycles,
      settleMs: Date.now() - settleStarted,
    };
  } finally {
    publishing = false;
    await browser.close();
    page.close();
    await proxy.close();
    await hub.stop();
  }
}
