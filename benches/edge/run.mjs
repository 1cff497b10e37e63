// Edge benchmark (a report, not a test), in workerd through Miniflare:
//
// 1. One stream: the hub's Rust `GET /ticks` (ssekit_workers::SseResponse)
//    against the same stream from hono's streamSSE, alternating rounds: all
//    events ready at once (batching shows), and a live feed of one event
//    every millisecond (each event on its own).
//    Events per second at the client, and workerd CPU time per event (user +
//    system time of the workerd process over the run, from /proc).
// 2. Fan-out: SUBSCRIBERS clients on one hub channel over loopback; the
//    publisher sends timestamped events; publish -> receive latency p50/p99
//    over every delivery, and workerd CPU per delivery (every isolate: the
//    front Workers and the object), for both of the hub's fan-outs. The same
//    run against benches/edge/fanout-floor.js, the same channel in plain
//    JavaScript (one shared chunk enqueued into every stream): what workerd
//    itself costs per delivery.
//
// 3. Shards (EDGE_SHARD_MATRIX=1, instead of 1 and 2): the fan-out of one
//    channel whose subscribers are spread over SHARDS shard objects, for
//    every subscriber count in EDGE_MATRIX_SUBSCRIBERS (default
//    1000,5000: 10,000 runs into workerd's descriptor limit here) × every shard count in EDGE_MATRIX_SHARDS (default
//    1,4) × every fan-out in EDGE_MATRIX_FANOUTS (default streams,websockets).
//    Long: `cargo xtask bench edge --shards` runs it.
//
//   node benches/edge/run.mjs target/bench-edge/hono.js > results.json   # Node >= 22
//   EDGE_SHARD_MATRIX=1 node benches/edge/run.mjs > shards.json
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { Agent, fetch as undiciFetch } from "undici";
import { startHub, PUBLISH_TOKEN } from "../../tests/worker/hub.mjs";
import { workerdPids, cpuSeconds, drain } from "./common.mjs";

const honoScript = process.argv[2];
const EVENTS = Number(process.env.EDGE_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.EDGE_ROUNDS ?? 3);
// A live feed: one event every millisecond, as a timer produces them.
const LIVE_EVENTS = Number(process.env.EDGE_LIVE_EVENTS ?? 2000);
const SUBSCRIBERS = Number(process.env.EDGE_SUBSCRIBERS ?? 1000);
const PUBLISHES = Number(process.env.EDGE_PUBLISHES ?? 40);
// Shards of the fan-out channel in parts 2 (default 1: the channel's own object).
const SHARDS = Number(process.env.EDGE_SHARDS ?? 1);
const list = (name, fallback) => (process.env[name] ?? fallback).split(",").map((v) => v.trim()).filter(Boolean);

async function measureStream(label, baseUrl, pids, query) {
  const cpuBefore = cpuSeconds(pids);
  const start = performance.now();
  const events = await drain(`${baseUrl}/ticks?${query}`);
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSeconds(pids) - cpuBefore;
  return { label, events, seconds, eventsPerSecond: events / seconds, cpuMicrosPerEvent: (cpu * 1e6) / events };
}

async function startHono() {
  const before = new Set(workerdPids());
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: [{ type: "ESModule", path: honoScript }],
      compatibilityDate: "2026-11-01",
      cf: false,
      host: "127.0.0.1",
      port: 0,
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pids = workerdPids().filter((p) => !before.has(p));
  return { mf, url, pids };
}

async function singleStream() {
  const beforeHub = new Set(workerdPids());
  const hub = await startHub({ vars: { HEARTBEAT_MS: "0" } });
  const hubPids = workerdPids().filter((p) => !beforeHub.has(p));
  const hono = await startHono();
  const rounds = [];
  try {
    // Warm both up (JIT, wasm compilation) before measuring.
    await drain(`${hub.url}/ticks?count=20000&interval_ms=0&heartbeat_ms=0`);
    await drain(`${hono.url}/ticks?count=20000`);
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push(await measureStream("ssekit", hub.url, hubPids, `count=${EVENTS}&interval_ms=0&heartbeat_ms=0`));
      rounds.push(await measureStream("hono", hono.url, hono.pids, `count=${EVENTS}`));
      rounds.push(await measureStream("ssekit live", hub.url, hubPids, `count=${LIVE_EVENTS}&interval_ms=1&heartbeat_ms=0`));
      rounds.push(await measureStream("hono live", hono.url, hono.pids, `count=${LIVE_EVENTS}&interval_ms=1`));
    }
  } finally {
    await hub.stop();
    await hono.mf.dispose();
  }
  return rounds;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** benches/edge/fanout-floor.js in workerd, as `startHub` starts the hub. */
async function startFloor() {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: [{ type: "ESModule", path: new URL("fanout-floor.js", import.meta.url).pathname }],
      compatibilityDate: "2026-11-01",
      durableObjects: { FLOOR: "Floor" },
      cf: false,
      host: "127.0.0.1",
      port: 0,
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, stop: () => mf.dispose() };
}

async function fanOut(label, start, subscribers = SUBSCRIBERS) {
  const beforeHub = new Set(workerdPids());
  const hub = await start();
  const hubPids = workerdPids().filter((p) => !beforeHub.has(p));
  let workerdCpu = 0;
  let clientCpu = 0;
  let keysWritten = null;
  const dispatcher = new Agent({ connections: null, pipelining: 0, keepAliveTimeout: 60_000 });
  const channel = "fanout";
  const latencies = [];
  const received = new Array(subscribers).fill(0);
  const controllers = [];
  try {
    const readers = [];
    for (let s = 0; s < subscribers; s++) {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await undiciFetch(`${hub.url}/channels/${channel}/events`, { dispatcher, signal: controller.signal });
      if (response.status !== 200) throw new Error(`subscribe ${s}: ${response.status}`);
      readers.push(
        (async () => {
          const decoder = new TextDecoder();
          let buffered = "";
          try {
            for await (const chunk of response.body) {
              const now = performance.now();
              buffered += decoder.decode(chunk, { stream: true });
              let end;
              while ((end = buffered.indexOf("\n\n")) >= 0) {
                const block = buffered.slice(0, end);
                buffered = buffered.slice(end + 2);
                const data = /^data: (\S+)$/m.exec(block);
                if (data) {
                  latencies.push(now - Number(data[1]));
                  received[s]++;
                }
              }
            }
          } catch (e) {
            if (e.name !== "AbortError") throw e;
          }
        })(),
      );
    }
    // Wait until the hub counts every subscriber.
    for (;;) {
      const stats = await (await fetch(`${hub.url}/channels/${channel}/stats`)).json();
      if (stats.subscribers === subscribers) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const workerdBefore = cpuSeconds(hubPids);
    const clientBefore = process.cpuUsage();
    for (let i = 0; i < PUBLISHES; i++) {
      const response = await fetch(`${hub.url}/channels/${channel}/events`, {
        method: "POST",
        headers: { Authorization: `Bearer ${PUBLISH_TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: String(performance.now()) }),
      });
      if (response.status !== 201) throw new Error(`publish: ${response.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const deadline = Date.now() + 30_000;
    while (received.some((n) => n < PUBLISHES) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    workerdCpu = cpuSeconds(hubPids) - workerdBefore;
    const client = process.cpuUsage(clientBefore);
    clientCpu = (client.user + client.system) / 1e6;
    // Storage is billed by keys written: the root's and every shard's
    // counters (the floor has no storage and no such stats).
    const stats = await (await fetch(`${hub.url}/channels/${channel}/stats`)).json().catch(() => ({}));
    if (typeof stats.storage_keys_written === "number") {
      keysWritten = stats.storage_keys_written + (stats.shards ?? []).reduce((n, s) => n + s.storage_keys_written, 0);
    }
    for (const c of controllers) c.abort();
    await Promise.allSettled(readers);
  } finally {
    await dispatcher.close().catch(() => {});
    await hub.stop();
  }
  const sorted = latencies.sort((a, b) => a - b);
  return {
    label,
    subscribers,
    publishes: PUBLISHES,
    deliveries: sorted.length,
    expected: subscribers * PUBLISHES,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
    // Where the time goes: CPU per delivery in workerd and in the client.
    workerdMicrosPerDelivery: (workerdCpu * 1e6) / Math.max(1, sorted.length),
    clientMicrosPerDelivery: (clientCpu * 1e6) / Math.max(1, sorted.length),
    storageKeysPerPublish: keysWritten === null ? null : keysWritten / PUBLISHES,
    storageKeysPerDelivery: keysWritten === null ? null : keysWritten / Math.max(1, sorted.length),
  };
}

const channelHub = (fanout, shards = SHARDS) => () =>
  startHub({
    vars: { HEARTBEAT_MS: "15000", SUBSCRIBER_QUEUE_BYTES: String(1 << 20), FANOUT: fanout, SHARDS: String(shards) },
  });

async function shardMatrix() {
  const runs = [];
  for (const subscribers of list("EDGE_MATRIX_SUBSCRIBERS", "1000,5000").map(Number)) {
    // The plain-JavaScript floor in the same run, at the same size.
    const floor = await fanOut("plain JavaScript, streams (the floor)", startFloor, subscribers);
    process.stderr.write(`${JSON.stringify(floor)}\n`);
    runs.push({ ...floor, fanout: "floor", shards: 1 });
    for (const shards of list("EDGE_MATRIX_SHARDS", "1,4").map(Number)) {
      for (const fanout of list("EDGE_MATRIX_FANOUTS", "streams,websockets")) {
        const run = await fanOut(`FANOUT=${fanout}, SHARDS=${shards}`, channelHub(fanout, shards), subscribers);
        process.stderr.write(`${JSON.stringify(run)}\n`);
        runs.push({ ...run, fanout, shards });
      }
    }
  }
  return runs;
}

const results =
  process.env.EDGE_SHARD_MATRIX === "1"
    ? { publishes: PUBLISHES, shardMatrix: await shardMatrix() }
    : {
        events: EVENTS,
        liveEvents: LIVE_EVENTS,
        rounds: await singleStream(),
        fanOut: await fanOut("hub, FANOUT=websockets (hibernatable)", channelHub("websockets")),
        fanOutStreams: await fanOut("hub, FANOUT=streams", channelHub("streams")),
        fanOutFloor: await fanOut("plain JavaScript, streams (the floor)", startFloor),
      };
process.stdout.write(JSON.stringify(results, null, 2));
