// The bounded reconnect soak in the test command (the full one is
// `cargo xtask soak`): 200 forced disconnects of mixed kinds while events are
// published, then 2,000 connect/disconnect cycles against the worker.
//
//   SSEKIT_PKG=pkg node --test tests/soak/soak.test.mjs   # Node >= 22
import { test } from "node:test";
import assert from "node:assert/strict";
import { runSoak } from "./soak.mjs";

test("reconnect soak: no loss, no duplicate, no partial event; delays follow the policy; hub state back to zero", { timeout: 10 * 60_000 }, async () => {
  const seed = Number(process.env.SSEKIT_SOAK_SEED ?? 7);
  const report = await runSoak({
    disconnects: Number(process.env.SSEKIT_SOAK_DISCONNECTS ?? 200),
    cycles: Number(process.env.SSEKIT_SOAK_CYCLES ?? 2000),
    seed,
    pkgDir: process.env.SSEKIT_PKG ?? "pkg",
  });
  const summary = JSON.stringify(report);
  console.log(summary);
  assert.equal(report.lost, 0, summary);
  assert.equal(report.duplicates, 0, summary);
  assert.equal(report.partial, 0, summary);
  assert.ok(report.inOrder, summary);
  assert.equal(report.received, report.published, summary);
  assert.ok(report.resumedWithLastEventId, summary);
  for (const kind of Object.keys(report.byKind)) assert.ok(report.byKind[kind] > 0, `no ${kind} fault: ${summary}`);
  assert.ok(report.delays.checked >= report.disconnects - 1, summary);
  for (const ms of [20, 40, 80, 160]) assert.ok(report.delays.byExpectedMs[ms] > 0, `no reconnect checked at ${ms} ms: ${summary}`);
  assert.equal(report.delays.early, 0, `reconnected before the policy's delay: ${summary}`);
  assert.ok(report.delays.latenessP99 < 1000, `reconnects far later than the policy: ${summary}`);
  assert.equal(report.subscribersAfterSoak, 0, summary);
  assert.equal(report.subscribersWhileHeld, 16, summary);
  assert.equal(report.subscribersAfterCycles, 0, summary);
});
