// The shared report writer: numbers as the sections always wrote them, and
// sections replaced or appended. Runs in the test command's `node` step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixed, grouped, groupedNumber, isMain, median, printed, replaceSpans, reportArgs, writeSection } from "./report.mjs";

test("numbers are written from their exact value, exact ties to even", () => {
  assert.equal(grouped(1234567.5, 0), "1,234,568");
  assert.equal(grouped(0.5, 0), "0");
  assert.equal(grouped(2.5, 0), "2");
  assert.equal(grouped(3.5, 0), "4");
  assert.equal(fixed(0.125, 2), "0.12");
  assert.equal(fixed(0.375, 2), "0.38");
  // 0.285 is 0.28499999…: not a tie, so down, as toFixed also says.
  assert.equal(fixed(0.285, 2), "0.28");
  assert.equal(grouped(-1234.25, 1), "-1,234.2");
  assert.equal(grouped(999.96, 1), "1,000.0");
  assert.equal(groupedNumber(1000), "1,000");
  assert.equal(groupedNumber(-100), "-100");
  assert.equal(groupedNumber(1234.5), "1,234.5");
  assert.throws(() => groupedNumber("12"));
  // As Rust writes them; a missing value is an error, not a number.
  assert.equal(fixed(1 / 0, 2), "inf");
  assert.equal(grouped(-1 / 0, 0), "-inf");
  assert.equal(fixed(0 / 0, 1), "NaN");
  assert.throws(() => fixed(undefined, 1));
  assert.throws(() => grouped("1", 0));
});

test("values are printed as the sections always printed them", () => {
  assert.equal(printed("a b"), "a b");
  assert.equal(printed(null), "None");
  assert.equal(printed(true), "True");
  assert.equal(printed(false), "False");
  assert.equal(printed(60), "60");
  assert.equal(printed(0.25), "0.25");
  assert.equal(printed([1, null, "x"]), "[1, None, x]");
  assert.equal(printed({ b: 1, a: [true] }), "{b: 1, a: [True]}");
  assert.throws(() => printed(undefined));
});

test("numbers are printed and fixed as the sections always were, never with an exponent", () => {
  assert.equal(fixed(-0, 2), "-0.00");
  assert.equal(fixed(1e21, 1), "1000000000000000000000.0");
  // Rust's {:.1}, every digit of the exact value.
  assert.equal(
    fixed(-Number.MAX_VALUE / 2 ** 20, 1),
    "-171441377149802752317931579333977085874624793554158207510869480899007092266109980354871328957335355922260722116007215942606278731240715201157062098220384137140321646286536485744710435953511551803661221035437711660675605046179984043279465255100367878222272707180161212128389527493399906045198825861152768.0",
  );
  assert.equal(printed(1e-7), "0.0000001");
  assert.equal(printed(-1.5e-7), "-0.00000015");
  assert.equal(printed(-0), "-0.0");
  assert.equal(printed([2.5, { a: 2 ** 60 }]), "[2.5, {a: 1152921504606846976}]");
  // Past i64 serde_json read a float: shortest digits, then zeros and `.0`.
  assert.equal(printed(2 ** 63), "9223372036854776000.0");
  assert.equal(groupedNumber(1.5e21), "1,500,000,000,000,000,000,000.0");
  assert.equal(groupedNumber(-(2 ** 63)), "-9,223,372,036,854,775,808");
});

test("arguments: --in, --out and a report's own options", () => {
  const plain = reportArgs([], "BENCHMARKS.md");
  assert.equal(plain.dir, "target");
  assert.equal(plain.out, "BENCHMARKS.md");
  assert.equal(plain.result("x.json"), join("target", "x.json"));
  assert.deepEqual(plain.options, {});
  const options = { fixtures: (dir) => join(dir, "f.json"), mode: "fast" };
  const given = reportArgs(["--out", "O.md", "--in", "/r"], "BENCHMARKS.md", options);
  assert.deepEqual([given.dir, given.out], ["/r", "O.md"]);
  // A default that is a function of DIR follows --in wherever it is given.
  assert.deepEqual(given.options, { fixtures: join("/r", "f.json"), mode: "fast" });
  assert.deepEqual(reportArgs(["--fixtures", "m.json", "--mode", "slow"], "B.md", options).options, {
    fixtures: "m.json",
    mode: "slow",
  });
});

test("arguments: an unknown flag or a missing value stops the report", () => {
  const run = (argv, options) => {
    const script = `import { reportArgs } from ${JSON.stringify(new URL("./report.mjs", import.meta.url).href)};
      reportArgs(${JSON.stringify(argv)}, "B.md", ${options});`;
    return spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  };
  const unknown = run(["--fixtures", "m.json"], "{}");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unexpected `--fixtures` \(a report takes \[--in DIR\] \[--out FILE\]\)/);
  const missing = run(["--fixtures"], '{ fixtures: "f.json" }');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /`--fixtures` needs a value .*\[--fixtures VALUE\]/);
  assert.match(run(["--in"], "{}").stderr, /`--in` needs a directory/);
  assert.match(run(["stray"], "{}").stderr, /unexpected `stray`/);
});

test("a report runs only as the script node was started with", () => {
  assert.equal(isMain(import.meta.url), true);
  assert.equal(isMain(new URL("./report.mjs", import.meta.url).href), false);
});

test("medians", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([10, 9, 100]), 10);
  assert.throws(() => median([]));
});

test("sections are replaced, or appended when their start is nowhere", () => {
  const text = "a\n<!-- s -->old<!-- e -->\nb\n";
  assert.equal(replaceSpans(text, "<!-- s -->", "<!-- e -->", "<!-- s -->new<!-- e -->"), "a\n<!-- s -->new<!-- e -->\nb\n");
  // A start without an end is left alone.
  assert.equal(replaceSpans("x <!-- s --> y", "<!-- s -->", "<!-- e -->", "z"), "x <!-- s --> y");
  const path = join(mkdtempSync(join(tmpdir(), "report-")), "OUT.md");
  writeFileSync(path, "# Title\n\n");
  const log = console.log;
  console.log = () => {};
  try {
    writeSection(path, "<!-- s -->", "<!-- e -->", ["<!-- s -->", "one", "<!-- e -->"]);
    writeSection(path, "<!-- s -->", "<!-- e -->", ["<!-- s -->", "two", "<!-- e -->"]);
  } finally {
    console.log = log;
  }
  assert.equal(readFileSync(path, "utf8"), "# Title\n\n<!-- s -->\ntwo\n<!-- e -->\n");
});
