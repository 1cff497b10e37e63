// Drives the README's first command: starts ./scripts/demo.sh (wrangler dev:
// the hub worker in local workerd, serving www/ with the npm package), then
// in headless Chromium publishes from the page, sees the events arrive,
// drops the connection, sees the resume without loss, asks the chat, saves
// a screenshot to target/demo-screenshot.png, and stops the demo with SIGINT
// (Ctrl-C), checking that workerd is gone too.
//
//   node --test tests/demo/demo.test.mjs     # Node >= 22; SSEKIT_REUSE_PKG=1 reuses pkg/
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import net from "node:net";
import { resolve } from "node:path";
import { launchChromium } from "../support/chromium.mjs";

const root = resolve(import.meta.dirname, "../..");

async function freePort() {
  const server = net.createServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

function workerdOnPort(port) {
  try {
    return execFileSync("pgrep", ["-af", `workerd.*127.0.0.1:${port}`], { encoding: "utf8" }).trim();
  } catch {
    return ""; // pgrep exits 1 when nothing matches
  }
}

test("the demo runs, shows live events and a lossless resume, and stops cleanly", { timeout: 15 * 60_000 }, async () => {
  const port = await freePort();
  const demo = spawn("bash", ["scripts/demo.sh"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), SSEKIT_DEMO_CHANNEL: `demo-test-${process.pid}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  demo.stdout.on("data", (d) => (output += d));
  demo.stderr.on("data", (d) => (output += d));
  const exited = new Promise((ok) => demo.on("exit", (code, signal) => ok({ code, signal })));
  const url = await new Promise((ok, fail) => {
    const timer = setInterval(() => {
      const ready = /ready: (http:\/\/\S+)/.exec(output);
      if (ready) {
        clearInterval(timer);
        ok(ready[1]);
      }
    }, 200);
    exited.then(() => {
      clearInterval(timer);
      fail(new Error(`demo.sh exited before it was ready:\n${output.slice(-3000)}`));
    });
  });

  const browser = await launchChromium({ label: "ssekit-demo-test" });
  try {
    const page = await browser.newPage();
    const text = (selector) => page.locator(selector).textContent();
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector("#state").dataset.state === "open", null, { timeout: 20_000 });

    // Drop the connection before any event arrived: three events are
    // published while the page is away, and the reconnect delivers them
    // exactly once (the subscription started from the channel's position,
    // so even a client that saw no event has a Last-Event-ID).
    const drop = async (reconnects, count) => {
      await page.click("#drop");
      await page.waitForFunction((n) => document.querySelector("#reconnects").textContent === String(n), reconnects, { timeout: 20_000 });
      await page.waitForFunction((n) => document.querySelector("#count").textContent === String(n), count, { timeout: 20_000 });
    };
    await drop(1, 3);
    let feed = await text("#events");
    for (let i = 1; i <= 3; i++) assert.equal(feed.split(`sent while disconnected (${i}/3)`).length, 2, feed);

    // Publish from the page's form; the event arrives in the feed.
    await page.fill("#publish-form textarea", "hello from the demo test");
    await page.click("#publish-form button");
    await page.waitForFunction(() => document.querySelector("#count").textContent === "4", null, { timeout: 10_000 });
    assert.match(await text("#events"), /hello from the demo test/);
    const firstId = Number(await text("#last-id"));

    // Drop it again: the next three arrive exactly once, in order.
    await drop(2, 7);
    assert.equal(Number(await text("#last-id")), firstId + 3);
    assert.equal(await text("#continuity"), "yes");
    feed = await text("#events");
    for (let i = 1; i <= 3; i++) assert.equal(feed.split(`sent while disconnected (${i}/3)`).length, 3, feed);

    // The chat panel: a POST whose answer streams in token by token.
    await page.click("#chat-form button");
    await page.waitForFunction(() => document.querySelector("#answer").dataset.state === "done", null, { timeout: 30_000 });
    assert.match(await text("#answer"), /“What does ssekit do\?”/);

    await page.screenshot({ path: resolve(root, "target/demo-screenshot.png"), fullPage: true });
  } finally {
    await browser.close();
    demo.kill("SIGINT");
  }
  const { code, signal } = await exited;
  assert.ok(code === 130 || signal === "SIGINT", `demo.sh ended with ${code ?? signal}`);
  assert.match(output, /stopped/);
  assert.equal(workerdOnPort(port), "", "workerd still running after Ctrl-C");
  await assert.rejects(fetch(url), "the demo's port still answers");
});
