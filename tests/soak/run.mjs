// The full reconnect soak as a command: prints the report as JSON.
//
//   node tests/soak/run.mjs DISCONNECTS CYCLES [SEED]   (Node >= 22; `cargo xtask soak` runs it)
import { runSoak } from "./soak.mjs";

const [disconnects = 1000, cycles = 10000, seed = 1] = process.argv.slice(2).map(Number);
const report = await runSoak({
  disconnects,
  cycles,
  seed,
  pkgDir: process.env.SSEKIT_PKG ?? "pkg",
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
