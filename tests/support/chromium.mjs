// Headless Chromium for page-level tests and benchmarks: Playwright driving
// the system's /usr/bin/chromium (Playwright's own browser downloads do not
// work here), with the flags that keep it off the network and a fresh
// profile directory. Page console output and errors go to stderr.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export async function launchChromium({ label = "ssekit" } = {}) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), `${label}-chromium-`));
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
  return {
    context,
    version: `Chromium ${context.browser()?.version() ?? ""}`.trim(),
    /** `quiet`: console messages matching it are expected and not shown. */
    async newPage({ quiet = null } = {}) {
      const page = await context.newPage();
      page.on("console", (message) => {
        if (!quiet?.test(message.text())) process.stderr.write(`[page] ${message.text()}\n`);
      });
      page.on("pageerror", (error) => process.stderr.write(`[page error] ${error}\n`));
      page.on("crash", () => process.stderr.write("[page crashed]\n"));
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
