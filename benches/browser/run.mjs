// Drives the browser benchmark page in headless Chromium (Playwright with the
// system's /usr/bin/chromium) and prints its results as JSON.
//
//   node benches/browser/run.mjs http://127.0.0.1:PORT/ > results.json
import { launchChromium } from "../../tests/support/chromium.mjs";

const url = process.argv[2];
const browser = await launchChromium({ label: "ssekit-bench" });
try {
  const page = await browser.newPage();
  page.on("response", (response) => {
    if (response.status() >= 400) process.stderr.write(`[page] ${response.status()} ${response.url()}\n`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.benchResults !== undefined, null, { timeout: 15 * 60 * 1000 });
  const results = await page.evaluate(() => window.benchResults);
  if (results.error) throw new Error(results.error);
  results.browser = browser.version;
  process.stdout.write(JSON.stringify(results, null, 2));
} finally {
  await browser.close();
}
