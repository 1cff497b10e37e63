// The running part of the live demo: `cargo xtask demo` installs, builds the
// site with the local tokens and then becomes this script (under Node 22),
// which runs the hub in local workerd (wrangler dev), says when it answers,
// and on Ctrl-C or SIGTERM stops wrangler and workerd before it exits.
//
// Environment (set by xtask): PORT, SSEKIT_DEMO_CHANNEL,
// SSEKIT_DEMO_PUBLISH_TOKEN, SSEKIT_DEMO_SUBSCRIBE_TOKEN.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const env = process.env;
const port = env.PORT;
const vars = {
  PUBLISH_TOKEN: env.SSEKIT_DEMO_PUBLISH_TOKEN,
  SUBSCRIBE_TOKEN: env.SSEKIT_DEMO_SUBSCRIBE_TOKEN,
  ALLOWED_ORIGINS: `http://127.0.0.1:${port}`,
  // The demo's own routes (/chat, /ticks): off in a deploy.
  DEMO: "1",
};
const args = ["node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", port];
args.push("--persist-to", "target/wrangler-state");
for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);

// A process group of its own (`detached`), so that stopping it stops workerd
// and wrangler's build too, and a terminal's Ctrl-C reaches only this script,
// which then stops them in order.
const wrangler = spawn(process.execPath, args, {
  stdio: "inherit",
  detached: true,
  // Keeps wrangler off the network: no metrics, no error reports, no cf fetch.
  env: {
    ...env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    DO_NOT_TRACK: "1",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_UPDATE_NOTIFIER: "1",
  },
});

/** Signals wrangler's group; whether it still had a member. */
function signalGroup(signal) {
  try {
    process.kill(-wrangler.pid, signal);
    return true;
  } catch {
    return false;
  }
}

let stopping = false;

/** Stops the group (TERM, then KILL after 5 s) and exits with `code`. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log("\n==> [demo] stopping (wrangler and workerd)");
  signalGroup("SIGTERM");
  for (let i = 0; i < 50 && signalGroup(0); i++) await sleep(100);
  signalGroup("SIGKILL");
  console.log("==> [demo] stopped");
  process.exit(code);
}

// The shell's codes: 128 + the signal's number.
process.on("SIGINT", () => stop(130));
process.on("SIGTERM", () => stop(143));
wrangler.on("exit", (code) => {
  if (!stopping) console.log("wrangler dev exited");
  stop(code ?? 1);
});

// Stats are a read right: the demo's subscribe token opens them.
const stats = `http://127.0.0.1:${port}/channels/${env.SSEKIT_DEMO_CHANNEL}/stats?token=${vars.SUBSCRIBE_TOKEN}`;
const deadline = Date.now() + 10 * 60_000;
while (!stopping) {
  const ok = await fetch(stats).then(
    (response) => (response.body?.cancel(), response.ok),
    () => false,
  );
  if (ok) {
    console.log(`\n==> [demo] ready: http://127.0.0.1:${port}/   (Ctrl-C to stop)`);
    break;
  }
  if (Date.now() > deadline) {
    console.error(`error: wrangler dev did not answer ${stats} in 10 minutes`);
    await stop(1);
  }
  await sleep(500);
}
