// Writes the npm package section of BENCHMARKS.md from the package built in pkg/:
// what `npm pack --dry-run --json` lists, and the gzip size of what a browser loads.
//
//   node benches/package-report.mjs [--in DIR] [--out FILE]   (DIR is not read: pkg/ is)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { groupedNumber, gzipSize, isMain, printed, reportArgs, today, verdict, writeSection } from "./report.mjs";

const START = "<!-- package-bench:start -->";
const END = "<!-- package-bench:end -->";

/// `pack` is the first entry of `npm pack --dry-run --json`.
export function packageSection(pack, jsGzip, wasmGzip, date) {
  const total = jsGzip + wasmGzip;
  const files = [...pack.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return [
    START,
    "## npm package (`pkg/`)",
    "",
    "Command: `cargo xtask bench package --report`.",
    `Run on ${date}: \`${printed(pack.name)}@${printed(pack.version)}\`, ${printed(pack.entryCount)} files,`,
    `${groupedNumber(pack.size)} B packed, ${groupedNumber(pack.unpackedSize)} B unpacked.`,
    "",
    "| file | bytes |",
    "|---|---:|",
    ...files.map((file) => `| \`${file.path}\` | ${groupedNumber(file.size)} |`),
    "",
    "What a browser loads from the default entry (`index.js`, which carries the shell, and",
    `\`ssekit.wasm\`), gzip -9: JS ${groupedNumber(jsGzip)} B + wasm ${groupedNumber(wasmGzip)} B = ${groupedNumber(total)} B. ` +
      `Target ≤ 12 KB (12,288 B): ${verdict(total <= 12 * 1024)}.`,
    END,
  ];
}

if (isMain(import.meta.url)) {
  const { out } = reportArgs(process.argv.slice(2), "BENCHMARKS.md");
  const listing = execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: "pkg", encoding: "utf8", stdio: ["inherit", "pipe", "inherit"] });
  const [pack] = JSON.parse(listing);
  if (!pack) throw new Error("`npm pack --dry-run --json` listed no package");
  // The browser entry carries the shell (`cargo xtask build web`).
  const gzipOf = (name) => gzipSize(readFileSync(join("pkg", name)));
  writeSection(out, START, END, packageSection(pack, gzipOf("index.js"), gzipOf("ssekit.wasm"), today()));
}
