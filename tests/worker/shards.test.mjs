// A channel spread over shard objects (SHARDS=3), in real workerd through
// Miniflare, with real HTTP clients, in both fan-outs (FANOUT=websockets
// and streams, whatever SSEKIT_FANOUT says): subscribers land on several
// shards, every one gets every event once and in order (also when pushes
// to a shard fail and are sent again), resumes are exact across shards (a
// resume point older than the buffer gets a reset), and a restart loses
// and repeats nothing.
//
//   cargo xtask build worker && node --test tests/worker/shards.test.mjs   # Node >= 22
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHub, publish, channelStats as stats, PUBLISH_TOKEN } from "./hub.mjs";
import { open, eventually } from "./sse-client.mjs";

const SHARDS = 3;
const MODES = ["websockets", "streams"];
const hubs = {};
before(async () => {
  for (const mode of MODES) {
    // Faults on every push to a shard: a random delay (FAULT_PUSH_JITTER_MS),
    // and in a second hub a failure of every third (FAULT_PUSH_FAIL_EVERY).
    const vars = { SHARDS: String(SHARDS), FANOUT: mode, HEARTBEAT_MS: "250", REPLAY_MAX_EVENTS: "20", FAULT_PUSH_JITTER_MS: "20" };
    hubs[mode] = await startHub({ vars });
    hubs[`${mode} failing`] = await startHub({ vars: { ...vars, FAULT_PUSH_FAIL_EVERY: "3" } });
  }
});
after(async () => {
  for (const hub of Object.values(hubs)) await hub.stop();
});

let channelCounter = 0;
const freshChannel = (label) => `${label}-${process.pid}-${channelCounter++}`;

/** Opens `count` subscribers and waits until the channel counts them all. */
async function subscribeMany(base, channel, count, headers = {}) {
  const streams = [];
  for (let i = 0; i < count; i++) streams.push(await open(`${base}/channels/${channel}/events`, { headers }));
  await eventually(async () => (await stats(base, channel)).subscribers === count, 5000, `${count} subscribers`);
  return streams;
}

for (const mode of MODES) {
  test(`${mode}: subscribers spread over shards; each gets every event once, in order, with ids`, async () => {
    const hub = hubs[mode];
    const channel = freshChannel("spread");
    const streams = await subscribeMany(hub.url, channel, 24);
    const s = await stats(hub.url, channel);
    assert.equal(s.shards.length, SHARDS);
    assert.equal(s.shards.reduce((sum, shard) => sum + shard.subscribers, 0), 24);
    const used = s.shards.filter((shard) => shard.subscribers > 0).length;
    assert.ok(used > 1, `subscribers on more than one shard: ${JSON.stringify(s.shards)}`);

    // One at a time: named events, JSON data, a jump in the numbering, a
    // string id; `delivered` counts every subscriber on every shard.
    assert.deepEqual(await publish(hub.url, channel, { data: "one" }), { status: 201, body: { id: "1", seq: 1, delivered: 24 } });
    assert.equal((await publish(hub.url, channel, { event: "price", data: { usd: 3 } })).body.delivered, 24);
    assert.equal((await publish(hub.url, channel, { id: "order-7", data: "a\nb" })).body.seq, 3);
    assert.equal((await publish(hub.url, channel, { id: "10", data: "jump" })).body.seq, 10);
    // Then 30 at once: their pushes race each other to the shards.
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => publish(hub.url, channel, { data: `burst ${i}` })));
    assert.ok(burst.every((r) => r.status === 201 && r.body.delivered === 24), JSON.stringify(burst.map((r) => r.body)));
    const ids = burst.map((r) => Number(r.body.id)).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: 30 }, (_, i) => 11 + i));
    // The order the root assigned is the order everyone must see.
    const dataById = new Map(burst.map((r, i) => [r.body.id, `burst ${i}`]));
    const expected = [
      ["message", "1", "one"],
      ["price", "2", '{"usd":3}'],
      ["message", "order-7", "a\nb"],
      ["message", "10", "jump"],
      ...ids.map((id) => ["message", String(id), dataById.get(String(id))]),
    ];
    for (const stream of streams) {
      await stream.until((r) => r.events.length >= expected.length, 5000, "every event");
      assert.deepEqual(stream.events.map((e) => [e.type, e.id, e.data]), expected);
    }
    await publish(hub.url, channel, { data: "last" });
    for (const stream of streams) {
      await stream.until((r) => r.events.length === expected.length + 1, 3000, "the last event");
      assert.equal(stream.events.at(-1).data, "last");
      await stream.cancel();
    }
    await eventually(async () => (await stats(hub.url, channel)).subscribers === 0, 5000, "zero subscribers");
  });

  test(`${mode}: pushes that fail are sent again: every subscriber gets every event once, in order, within a second`, async () => {
    // FAULT_PUSH_FAIL_EVERY=3: a third of the root's pushes to its shards
    // fail before they leave; bursts of concurrent publishes race each
    // other to the root. The root keeps one push in flight per shard and
    // sends a failed one again, so order and completeness hold anyway.
    const hub = hubs[`${mode} failing`];
    const channel = freshChannel("race");
    const streams = await subscribeMany(hub.url, channel, 6);
    const published = [];
    for (let burst = 0; burst < 4; burst++) {
      const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => publish(hub.url, channel, { data: `b${burst} ${i}` })));
      answers.forEach((r, i) => {
        assert.equal(r.status, 201, JSON.stringify(r.body));
        published.push({ seq: r.body.seq, id: r.body.id, data: `b${burst} ${i}` });
      });
    }
    const expected = published.sort((a, b) => a.seq - b.seq).map((e) => [e.id, e.data]);
    for (const stream of streams) {
      await stream.until((r) => r.events.length >= expected.length, 5000, "every event");
      assert.deepEqual(stream.events.map((e) => [e.id, e.data]), expected);
    }
    // Within a second of its publish's answer, every subscriber has it,
    // whether or not its first push failed.
    for (let i = 0; i < 3; i++) {
      await publish(hub.url, channel, { data: `last ${i}` });
      const answered = performance.now();
      for (const stream of streams) {
        await stream.until((r) => r.events.at(-1).data === `last ${i}`, 1000, `"last ${i}" within 1 s`);
      }
      assert.ok(performance.now() - answered < 1000);
    }
    for (const stream of streams) await stream.cancel();
    // Every shard, also one whose subscribers all left (a failed push to it
    // may still be on its way back), ends at the last event.
    const last = published.length + 3;
    await eventually(
      async () => (await stats(hub.url, channel)).shards.every((shard) => shard.delivered_seq === last),
      2000,
      `every shard at ${last}`,
    );
  });

  test(`${mode}: resume with Last-Event-ID at any shard is exact`, async () => {
    const hub = hubs[mode];
    const channel = freshChannel("resume");
    const seen = [];
    let lastId = null;
    // Twelve short visits, each on a random shard, each resuming where the
    // one before stopped; events are published while nobody listens, and
    // while someone does.
    for (let visit = 0; visit < 12; visit++) {
      const stream = await open(`${hub.url}/channels/${channel}/events`, { headers: lastId ? { "Last-Event-ID": lastId } : {} });
      await eventually(async () => (await stats(hub.url, channel)).subscribers === 1, 3000, "subscribed");
      const missed = visit === 0 ? 0 : 2;
      const live = 1 + (visit % 3);
      for (let i = 0; i < live; i++) await publish(hub.url, channel, { data: `v${visit} live ${i}` });
      await stream.until((r) => r.events.length === missed + live, 3000, `visit ${visit}`);
      seen.push(...stream.events);
      lastId = stream.events.at(-1).id;
      await stream.cancel();
      await eventually(async () => (await stats(hub.url, channel)).subscribers === 0, 5000, "left");
      for (let i = 0; i < 2; i++) await publish(hub.url, channel, { data: `v${visit} away ${i}` });
    }
    const total = (await stats(hub.url, channel)).next_seq - 1;
    assert.deepEqual(seen.map((e) => e.id), Array.from({ length: total - 2 }, (_, i) => String(i + 1)));
    // Older than the buffer (20 kept): a reset saying so, at the channel's
    // position, then live events.
    const old = await open(`${hub.url}/channels/${channel}/events`, { headers: { "Last-Event-ID": "1" } });
    await old.until((r) => r.events.length === 1, 3000, "the reset");
    assert.deepEqual(old.events.map((e) => [e.type, e.id, JSON.parse(e.data)]), [
      ["reset", String(total), { reason: "too-old", first_id: String(total - 19) }],
    ]);
    await publish(hub.url, channel, { data: "after the reset" });
    await old.until((r) => r.events.length === 2, 3000, "a live event");
    assert.deepEqual(old.events.map((e) => e.id).at(-1), String(total + 1));
    await old.cancel();
  });

  test(`${mode}: disconnect reaches every shard; stats and disconnect count them all`, async () => {
    const hub = hubs[mode];
    const channel = freshChannel("kick");
    const streams = await subscribeMany(hub.url, channel, 9);
    await publish(hub.url, channel, { data: "before" });
    const response = await fetch(`${hub.url}/channels/${channel}/disconnect`, {
      method: "POST",
      headers: { Authorization: `Bearer ${PUBLISH_TOKEN}` },
    });
    assert.deepEqual(await response.json(), { disconnected: 9 });
    for (const stream of streams) {
      await stream.toEnd(3000);
      assert.deepEqual(stream.events.map((e) => e.data), ["before"]);
    }
    await eventually(async () => (await stats(hub.url, channel)).subscribers === 0, 3000, "zero subscribers");
  });

  test(`${mode}: a restart of every object (shards and root) loses nothing and repeats nothing`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "ssekit-shards-"));
    const vars = { SHARDS: String(SHARDS), FANOUT: mode, HEARTBEAT_MS: "250" };
    const channel = "restarted";
    try {
      let instance = await startHub({ persistDir: dir, vars });
      let streams = await subscribeMany(instance.url, channel, 6);
      for (let i = 1; i <= 5; i++) await publish(instance.url, channel, { data: `before ${i}` });
      // Each subscriber stops at a different point, as clients do.
      const kept = [];
      for (const [n, stream] of streams.entries()) {
        const upTo = 1 + (n % 5);
        await stream.until((r) => r.events.length >= upTo, 3000, "events before the restart");
        kept.push(stream.events.slice(0, upTo));
      }
      await instance.stop();
      instance = await startHub({ persistDir: dir, vars });
      try {
        // Half come back to fresh shards (which learn where they are from
        // the root), then events are published, then the other half return.
        const back = (events) =>
          open(`${instance.url}/channels/${channel}/events`, { headers: { "Last-Event-ID": events.at(-1).id } });
        streams = [];
        for (const events of kept.slice(0, 3)) streams.push(await back(events));
        await eventually(async () => (await stats(instance.url, channel)).subscribers === 3, 5000, "half back");
        for (let i = 1; i <= 2; i++) await publish(instance.url, channel, { data: `after ${i}` });
        for (const events of kept.slice(3)) streams.push(await back(events));
        await eventually(async () => (await stats(instance.url, channel)).subscribers === 6, 5000, "all back");
        for (let i = 3; i <= 4; i++) await publish(instance.url, channel, { data: `after ${i}` });
        const expected = [1, 2, 3, 4, 5].map((i) => `before ${i}`).concat([1, 2, 3, 4].map((i) => `after ${i}`));
        for (const [n, stream] of streams.entries()) {
          await stream.until((r) => r.events.some((e) => e.data === "after 4"), 5000, "the rest after the restart");
          const all = [...kept[n], ...stream.events];
          assert.deepEqual(all.map((e) => e.data), expected, `subscriber ${n}`);
          assert.deepEqual(all.map((e) => e.id), expected.map((_, i) => String(i + 1)));
          await stream.cancel();
        }
      } finally {
        await instance.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
