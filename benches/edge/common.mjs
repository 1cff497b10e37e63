// Shared by the edge benchmarks: the CPU time of the workerd processes a
// benchmark starts (through Miniflare), read from /proc, and a counting SSE
// reader.
import { readFileSync, readdirSync } from "node:fs";

const TICKS_PER_SECOND = 100; // /proc clock ticks (USER_HZ)

/** workerd processes started by this process's Miniflare instances. */
export function workerdPids() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ");
      if (cmd.includes("workerd") && cmd.includes("serve") && Number(stat[1]) === process.pid) pids.push(entry);
    } catch {
      // raced with an exiting process
    }
  }
  return pids;
}

/** User + system CPU seconds the processes `pids` have used so far. */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
  }
  return ticks / TICKS_PER_SECOND;
}

/** Reads a whole SSE stream, counting events: lines that start with
 * "data:" (each test event has exactly one). */
export async function drain(url, init) {
  const response = await fetch(url, init);
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  const DATA = [100, 97, 116, 97, 58]; // "data:"
  let events = 0;
  let lineStart = true;
  let matched = 0; // bytes of "data:" matched at the start of this line
  for await (const chunk of response.body) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === 10) {
        lineStart = true;
        matched = 0;
      } else if (lineStart) {
        if (byte === DATA[matched]) {
          if (++matched === DATA.length) {
            events++;
            lineStart = false;
          }
        } else {
          lineStart = false;
        }
      }
    }
  }
  return events;
}
