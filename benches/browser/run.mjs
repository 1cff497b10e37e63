// Drives the browser benchmark page in headless Chromium (Playwright with the
// system's /usr/bin/chromium) and prints its results as JSON.
//
//   node benches/browser/run.mjs http://127.0.0.1:PORT/ > results.json
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const url = process.argv[2];
const userDataDir = mkdtempSync(path.join(tmpdir(), "ssekit-bench-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});
try {
  const page = await context.newPage();
  page.on("console", (message) => process.stderr.write(`[page] ${message.text()}\n`));
  page.on("pageerror", (error) => process.stderr.write(`[page error] ${error}\n`));
  page.on("crash", () => process.stderr.write("[page crashed]\n"));
  page.on("response", (response) => {
    if (response.status() >= 400) process.stderr.write(`[page] ${response.status()} ${response.url()}\n`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.benchResults !== undefined, null, { timeout: 15 * 60 * 1000 });
  const results = await page.evaluate(() => window.benchResults);
  if (results.error) throw new Error(results.error);
  results.browser = `Chromium ${context.browser()?.version() ?? ""}`.trim();
  process.stdout.write(JSON.stringify(results, null, 2));
} finally {
  await context.close();
}
