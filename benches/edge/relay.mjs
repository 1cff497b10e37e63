// Relay benchmark (a report, not a test), in workerd through Miniflare: the
// hub's POST /relay/{name} (ssekit_workers::Relay) reading a local Node
// upstream that streams OpenAI-style `data: {json}` chunks as fast as the
// socket takes them (tests/worker/upstream.mjs, /bench), and sending each
// on. Reports relayed events per second at the client and workerd CPU time
// per relayed event (user + system time of the workerd process over the
// run, from /proc), next to the same upstream read directly (no workerd:
// the ceiling the upstream and the client allow).
//
//   cargo xtask build worker && npm run --silent bench:relay > relay.json   # Node 22 from npm; RELAY_EVENTS (200000), RELAY_ROUNDS (3)
import { startHub } from "../../tests/worker/hub.mjs";
import { startUpstream } from "../../tests/worker/upstream.mjs";
import { workerdPids, cpuSeconds, drain } from "./common.mjs";

const EVENTS = Number(process.env.RELAY_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.RELAY_ROUNDS ?? 3);
const WARMUP_EVENTS = Math.min(EVENTS, 20_000);
const POST = { method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer bench-caller" }, body: "{}" };

async function measure(label, url, pids) {
  const cpuBefore = cpuSeconds(pids);
  const start = performance.now();
  const events = await drain(url, POST);
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuSeconds(pids) - cpuBefore;
  // Every chunk and the final [DONE], or the relay failed (an error event).
  if (events !== EVENTS + 1) throw new Error(`${label}: ${events} events, expected ${EVENTS + 1}`);
  return {
    label,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    ...(pids.length ? { workerdMicrosPerEvent: (cpu * 1e6) / events } : {}),
  };
}

const upstream = await startUpstream();
const beforeHub = new Set(workerdPids());
const hub = await startHub({
  vars: {
    HEARTBEAT_MS: "0",
    RELAY_BENCH_URL: `${upstream.url}/bench?events=${EVENTS}`,
    RELAY_WARM_URL: `${upstream.url}/bench?events=${WARMUP_EVENTS}`,
    RELAY_BENCH_AUTHORIZATION: "Bearer bench",
    // Callers need a credential and are rate-limited (SECURITY.md).
    RELAY_BENCH_TOKEN: "bench-caller",
    RELAY_WARM_TOKEN: "bench-caller",
    RELAY_BENCH_RATE: "1000/min",
    RELAY_WARM_RATE: "1000/min",
  },
});
const hubPids = workerdPids().filter((p) => !beforeHub.has(p));
const rounds = [];
try {
  // Warm up (JIT, wasm compilation) before measuring.
  await drain(`${hub.url}/relay/warm`, POST);
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push(await measure("relay", `${hub.url}/relay/bench`, hubPids));
    rounds.push(await measure("direct", `${upstream.url}/bench?events=${EVENTS}`, []));
  }
} finally {
  await hub.stop();
  await upstream.stop();
}
process.stdout.write(JSON.stringify({ events: EVENTS, rounds }, null, 2));
