// Writes the fuzzing section of RELIABILITY.md from the summary `cargo xtask fuzz`
// leaves in target/fuzz/summary.tsv: a row per target of name, seconds,
// executions, crashes and corpus size, tab-separated.
//
//   node fuzz/report.mjs [--in DIR] [--out FILE]
import { readFileSync } from "node:fs";
import { grouped, reportArgs, today, versionOf, writeSection } from "../benches/report.mjs";

const START = "<!-- fuzz:start -->";
const END = "<!-- fuzz:end -->";
const CHECKS = new Map([
  ["parse_chunked", "any bytes, chunking, limit: no panic, never over the limit, chunked = whole = the reference parser"],
  ["encode_roundtrip", "any field strings: round-trip, or refused for a CR/LF/NUL really in them"],
]);

const { out, result } = reportArgs(process.argv.slice(2), "RELIABILITY.md");
const path = result("fuzz/summary.tsv");
const rows = readFileSync(path, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => line.split("\t"));

// A count as xtask wrote it and read it back (an i64): a BigInt, so every
// digit is kept and grouped exactly.
function count(field) {
  const text = field.trim();
  const n = /^[+-]?\d+$/.test(text) ? BigInt(text) : null;
  if (n === null || BigInt.asIntN(64, n) !== n) throw new Error(`fuzz summary: \`${field}\` is not a number`);
  return n;
}

const table = rows.map((row) => {
  if (row.length !== 5) throw new Error(`${path}: a row of ${row.length} fields, not 5: ${JSON.stringify(row)}`);
  const [target, seconds, executions, crashes, corpus] = row;
  const n = count(executions);
  const s = count(seconds);
  const rate = Number(n) / Number(s > 1n ? s : 1n);
  return `| \`${target}\` | ${CHECKS.get(target) ?? ""} | ${seconds} | ${n.toLocaleString("en-US")} | ${grouped(rate, 0)} | ${crashes} | ${corpus} |`;
});

writeSection(out, START, END, [
  START,
  "## Fuzzing (`fuzz/`)",
  "",
  `Command: \`cargo xtask fuzz ${rows[0]?.[1] ?? "?"} --report\` (cargo-fuzz 0.13.2, libFuzzer, ${versionOf("rustc")} with`,
  "`RUSTC_BOOTSTRAP=1`, no sanitizer: the crate forbids unsafe code). The test command runs",
  "`cargo xtask fuzz 30`. Seeds: `fuzz/src/bin/seed_corpus.rs` writes them from the test fixtures",
  "(the benchmark-shaped streams, `tests/fixtures/mixed.sse`, spec corner cases) under several chunkings",
  "and limits, and the events in them plus field-injection attempts for the encoder. Crashes are moved to",
  "`fuzz/regressions/`, which `tests/fuzz_regressions.rs` replays in `cargo test`.",
  "",
  `Run on ${today()} on this 2-core machine, one target after the other.`,
  "",
  "| target | checks | seconds | executions | executions/s | crashes | corpus after |",
  "|---|---|---:|---:|---:|---:|---:|",
  ...table,
  "",
  END,
]);
