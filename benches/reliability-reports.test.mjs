// The RELIABILITY.md section writers (fuzz/report.mjs, tests/soak/report.mjs,
// tests/hostile/report.mjs), each run on made-up results: the rows and the
// rounding they write, and results they must refuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const script = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const BEFORE = "# Reliability\n";

/// Runs a report on `files` (name → text, or a value written as JSON) into a
/// fresh RELIABILITY.md: its exit status, stderr and the file's lines after.
function report(path, files) {
  const dir = mkdtempSync(join(tmpdir(), "reliability-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  const out = join(dir, "RELIABILITY.md");
  writeFileSync(out, BEFORE);
  const run = spawnSync(process.execPath, [script(path), "--in", dir, "--out", out], { encoding: "utf8" });
  return { status: run.status, stderr: run.stderr, text: readFileSync(out, "utf8") };
}

const without = (object, key) => Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));

function assertLines(text, expected) {
  const lines = text.split("\n");
  for (const line of expected) assert.ok(lines.includes(line), `no line\n${line}\nin\n${text}`);
}

test("fuzz: a row per target, executions/s rounded to even, at least a second", () => {
  const tsv = "parse_chunked\t2\t5\t0\t571\nencode_roundtrip\t2\t1234567\t1\t42\n\nother\t0\t7\t0\t3\n";
  const { status, text } = report("fuzz/report.mjs", { "fuzz/summary.tsv": tsv });
  assert.equal(status, 0);
  assertLines(text, [
    "<!-- fuzz:start -->",
    "| `parse_chunked` | any bytes, chunking, limit: no panic, never over the limit, chunked = whole = the reference parser | 2 | 5 | 2 | 0 | 571 |",
    "| `encode_roundtrip` | any field strings: round-trip, or refused for a CR/LF/NUL really in them | 2 | 1,234,567 | 617,284 | 1 | 42 |",
    "| `other` |  | 0 | 7 | 7 | 0 | 3 |",
    "<!-- fuzz:end -->",
  ]);
  assert.match(text, /^Command: `cargo xtask fuzz 2 --report` \(cargo-fuzz 0\.13\.2, libFuzzer, .* with$/m);
});

test("fuzz: a short row or a count that is not one fails and writes nothing", () => {
  for (const tsv of ["parse_chunked\t30\t5\t0\n", "parse_chunked\t30\t5e3\t0\t1\n", "parse_chunked\t30\t9223372036854775808\t0\t1\n"]) {
    const { status, text } = report("fuzz/report.mjs", { "fuzz/summary.tsv": tsv });
    assert.equal(status, 1, tsv);
    assert.equal(text, BEFORE);
  }
});

const SOAK = {
  seed: 1,
  disconnects: 1000,
  byKind: { eof: 600, "status-503": 400 },
  published: 10153,
  received: 10153,
  lost: 0,
  duplicates: 0,
  partial: 0,
  inOrder: true,
  resumedWithLastEventId: true,
  delays: { checked: 1000, byExpectedMs: { 160: 1, 20: 583, 40: 416 }, early: 0, firstEarly: null, latenessP50: 10.5, latenessP99: 35 },
  soakSeconds: 84.5,
  cycles: 10000,
  cyclesSeconds: 9.25,
  subscribersAfterSoak: 0,
  subscribersWhileHeld: 16,
  subscribersAfterCycles: 0,
  settleMs: 1567,
};

test("soak: the figures and every check ok", () => {
  const { status, text } = report("tests/soak/report.mjs", { "soak/report.json": SOAK });
  assert.equal(status, 0);
  assertLines(text, [
    "1,000 forced disconnects (eof 600, status-503 400) in 84 s; 10,000 cycles (16 at a time, each waits for the first bytes then aborts) in 9.2 s,",
    "subscriber count back to zero 1567 ms after the last one.",
    "| received / published | 10,153 / 10,153 | ok |",
    "| received in publish order | yes | ok |",
    "| reconnects earlier than the policy's delay | 0 of 1000 | ok |",
    "| reconnects checked per expected delay | 20 ms: 583, 40 ms: 416, 160 ms: 1 | ok |",
    "| reconnect lateness over the policy, p50 / p99 | 10.5 ms / 35 ms | ok |",
    "| hub subscribers after 10,000 connect/disconnect cycles | 0 | ok |",
  ]);
  assert.match(text, /^Run on \d{4}-\d\d-\d\d with .* \(Miniflare\), seed 1\.$/m);
});

test("soak: a failed check is marked, named and fails the run after the section is written", () => {
  const soak = { ...SOAK, lost: 2, inOrder: [], subscribersWhileHeld: 15 };
  const { status, stderr, text } = report("tests/soak/report.mjs", { "soak/report.json": soak });
  assert.equal(status, 1);
  assertLines(text, [
    "| events lost | 2 | **FAILED** |",
    "| received in publish order | no | **FAILED** |",
    "| hub subscribers while 16 are held (the count is live) | 15 | **FAILED** |",
    "| events duplicated | 0 | ok |",
  ]);
  assert.match(stderr, /the soak failed: events lost; received in publish order; hub subscribers while 16 are held \(the count is live\)/);
});

test("soak: a missing figure, a count that is not a number or a delay that is not ms fails and writes nothing", () => {
  for (const soak of [without(SOAK, "lost"), { ...SOAK, duplicates: "0" }, { ...SOAK, delays: { ...SOAK.delays, byExpectedMs: { "20.5": 1 } } }]) {
    const { status, text } = report("tests/soak/report.mjs", { "soak/report.json": soak });
    assert.equal(status, 1, JSON.stringify(soak));
    assert.equal(text, BEFORE);
  }
});

const LIMIT = 16 * 2 ** 20;
const nativeRow = (name, fields) => ({
  name,
  fedBytes: 64 * 2 ** 20,
  seconds: 0.125,
  events: 1234567,
  errors: 1,
  retries: 0,
  peakHeapBytes: 1.5 * LIMIT,
  peakRssBytes: null,
  limitBytes: LIMIT,
  ok: true,
  ...fields,
});
const browserRow = (name, fields) => ({ name, seconds: 2.5, memoryBefore: 2 ** 20, memoryAfter: 3 * 2 ** 20, ...fields });

test("hostile: native and browser rows, MiB to a tenth, times and ratios to hundredths, ties to even", () => {
  const native = [nativeRow("one huge event", { peakRssBytes: 2.25 * 2 ** 20 }), nativeRow("a long comment", { peakHeapBytes: 2 * LIMIT })];
  const browser = {
    parser: [browserRow("one huge event", { events: 1, errors: 1 })],
    eventSource: [browserRow("many events", { messages: 1000001, parseErrors: 0, memoryAfter: 50.25 * 2 ** 20 })],
  };
  const { status, text } = report("tests/hostile/report.mjs", { "hostile/native.json": native, "hostile/browser.json": browser });
  assert.equal(status, 0);
  assertLines(text, [
    "Event size limit: 16.0 MiB (the default). Each stream ends with a blank line and `data: after`,",
    "| one huge event | 64.0 MiB | 0.12 s | 1,234,567 | 1 | 0 | 24.0 MiB | 1.50 | 2.2 MiB |",
    "| a long comment | 64.0 MiB | 0.12 s | 1,234,567 | 1 | 0 | 32.0 MiB | 2.00 | n/a |",
    "Worst peak heap: 32.0 MiB = 2.00× the limit; the test fails above 3×. Why it can go",
    "| `SseParser.feed` | one huge event | 2.50 s | 1 | 1 | 1.0 MiB → 3.0 MiB |",
    "| `EventSource` (network) | many events | 2.50 s | 1,000,001 | 0 | 1.0 MiB → 50.2 MiB |",
    "Peak wasm memory: 50.2 MiB = 3.14× the limit (it includes the module's own data",
  ]);
});

test("hostile: no native figures, or a figure missing, fails and writes nothing", () => {
  const browser = { parser: [], eventSource: [] };
  for (const native of [[], [without(nativeRow("x"), "peakHeapBytes")], { name: "x" }]) {
    const { status, text } = report("tests/hostile/report.mjs", { "hostile/native.json": native, "hostile/browser.json": browser });
    assert.equal(status, 1, JSON.stringify(native));
    assert.equal(text, BEFORE);
  }
});
