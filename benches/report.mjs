// What every bench and reliability report shares: its arguments, rewriting its
// marked section of BENCHMARKS.md or RELIABILITY.md, the verdict words, numbers
// written the way the sections always wrote them, today's date, the tools'
// versions. Each report script lives beside the run whose figures it reads
// (`cargo xtask report NAME` runs it); this module knows none of them.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/// `[--in DIR] [--out FILE]`: where the results are (default `target/`) and
/// the file whose section is rewritten (default the report's own); a report's
/// own `--NAME VALUE` flags are the keys of `options`, each mapped to its
/// default or to a function of DIR giving it, and come back in `options`.
export function reportArgs(argv, defaultOut, options = {}) {
  const flags = Object.keys(options).map((name) => ` [--${name} VALUE]`).join("");
  const usage = (message) => {
    console.error(`error: ${message} (a report takes [--in DIR] [--out FILE]${flags})`);
    process.exit(2);
  };
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : "";
    if (name !== "in" && name !== "out" && !Object.hasOwn(options, name)) usage(`unexpected \`${argv[i]}\``);
    if (argv[i + 1] === undefined) usage(`\`${argv[i]}\` needs a ${{ in: "directory", out: "file" }[name] ?? "value"}`);
    given[name] = argv[++i];
  }
  const dir = given.in ?? "target";
  const resolved = Object.entries(options).map(([name, fallback]) => [
    name,
    given[name] ?? (typeof fallback === "function" ? fallback(dir) : fallback),
  ]);
  return {
    dir,
    out: given.out ?? defaultOut,
    options: Object.fromEntries(resolved),
    result: (name) => join(dir, name),
    json: (name) => readJson(join(dir, name)),
  };
}

/// Whether the module at `url` (its `import.meta.url`) is the script node was
/// started with: a report runs then, and only exports its helpers to tests.
export const isMain = (url) => process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(url);

export function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`reading ${path}: ${error.message}`);
  }
}

/// Replaces every span from `start` to the next `end` in `path` with `lines`
/// (which begin and end with the markers), or appends them when `start` is
/// nowhere; then prints the section.
export function writeSection(path, start, end, lines) {
  const section = lines.join("\n");
  const text = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const updated = text.includes(start)
    ? replaceSpans(text, start, end, section)
    : `${text.replace(/\n+$/, "")}\n\n${section}\n`;
  writeFileSync(path, updated);
  console.log(section);
}

export function replaceSpans(text, start, end, section) {
  let out = "";
  let rest = text;
  for (let at = rest.indexOf(start); at !== -1; at = rest.indexOf(start)) {
    const endAt = rest.indexOf(end, at + start.length);
    // A start without an end is left alone.
    if (endAt === -1) break;
    out += rest.slice(0, at) + section;
    rest = rest.slice(endAt + end.length);
  }
  return out + rest;
}

export const verdict = (met) => (met ? "**met**" : "**missed**");

/// `x` with `decimals` digits after the point, from its exact binary value,
/// an exact tie to even: how the sections were always written (Rust's and
/// Python's formatting). `toFixed` alone breaks ties upwards, and writes
/// `Infinity` where Rust writes `inf`.
export function fixed(x, decimals) {
  if (typeof x !== "number") throw new Error(`${JSON.stringify(x)} is not a number`);
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "inf" : "-inf";
  // Rust keeps the sign of -0, and writes every digit where toFixed turns to
  // an exponent (from 1e21 on, where every double is whole).
  if (Object.is(x, -0)) return `-${fixed(0, decimals)}`;
  if (Math.abs(x) >= 1e21) return `${BigInt(x)}${decimals > 0 ? `.${"0".repeat(decimals)}` : ""}`;
  const rounded = x.toFixed(decimals);
  const exact = Math.abs(x).toFixed(Math.min(100, decimals + 60));
  const tail = exact.slice(exact.indexOf(".") + 1 + decimals);
  if (!/^50*$/.test(tail)) return rounded;
  const down = (x < 0 ? "-" : "") + exact.slice(0, exact.length - tail.length).replace(/\.$/, "");
  const lastDigit = Number(down.replace(/\D/g, "").slice(-1));
  return lastDigit % 2 === 0 ? down : rounded;
}

/// A value from a result file as the sections have always printed it:
/// strings bare, `None`, `True`/`False`, numbers as `numberText` writes them,
/// lists and objects in brackets. A missing value is an error: a result file
/// without it is not the one the section was written for.
export function printed(value) {
  if (value === undefined) throw new Error("a value the result file does not have");
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) return `[${value.map(printed).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([key, item]) => `${key}: ${printed(item)}`).join(", ")}}`;
  }
  return typeof value === "number" ? numberText(value) : String(value);
}

/// A whole number in i64's range in all its digits; anything else in its
/// shortest round trip, without an exponent, and with `.0` when whole.
function numberText(x) {
  if (Number.isInteger(x) && !Object.is(x, -0) && x >= -(2 ** 63) && x < 2 ** 63) return `${BigInt(x)}`;
  const [mantissa, exponent] = String(Math.abs(x)).split("e");
  const digits = mantissa.replace(".", "");
  // An exponent from e-7 down or e+21 up: at most 17 digits, one before the point.
  const point = 1 + Number(exponent);
  const text = exponent === undefined ? mantissa : point <= 0 ? `0.${"0".repeat(-point)}${digits}` : digits.padEnd(point, "0");
  return `${x < 0 || Object.is(x, -0) ? "-" : ""}${text}${text.includes(".") ? "" : ".0"}`;
}

/// `fixed` with thousands separated by commas.
export const grouped = (x, decimals) => group(fixed(x, decimals));

/// A number from a result file as `printed` writes it, with thousands
/// separated by commas.
export const groupedNumber = (x) => {
  if (typeof x !== "number") throw new Error(`${JSON.stringify(x)} is not a number`);
  return group(numberText(x));
};

function group(number) {
  const sign = number.startsWith("-") ? "-" : "";
  const digits = number.slice(sign.length);
  const cut = digits.search(/[.e]/);
  const whole = cut === -1 ? digits : digits.slice(0, cut);
  const rest = cut === -1 ? "" : digits.slice(cut);
  return sign + whole.replace(/\B(?=(\d{3})+$)/g, ",") + rest;
}

/// The middle value, or the mean of the two middle ones.
export function median(values) {
  if (values.length === 0) throw new Error("the median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/// `YYYY-MM-DD` in UTC (the machines that take figures run in UTC).
export const today = () => new Date().toISOString().slice(0, 10);

/// A tool's `--version` line, or "" when it does not run (the section still
/// gets written; the gap shows what was missing).
export function versionOf(program) {
  try {
    return execFileSync(program, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/// The CPU, its cores, the system and rustc, for sections of Rust figures.
export function machine() {
  const system = { linux: "Linux", darwin: "Darwin" }[process.platform] ?? process.platform;
  const arch = { x64: "x86_64", arm64: "aarch64" }[process.arch] ?? process.arch;
  const cpu = cpus()[0]?.model.trim() || "unknown CPU";
  return `${cpu}, ${cpus().length} cores, ${system} ${arch}; ${versionOf("rustc")}`;
}

/// The size of `bytes` as `gzip -9 -n` writes them (no name in the header).
export const gzipSize = (bytes) => execFileSync("gzip", ["-9", "-n", "-c"], { input: bytes, maxBuffer: 1 << 30 }).length;
