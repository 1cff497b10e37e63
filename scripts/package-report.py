"""Writes the package section of BENCHMARKS.md: what `npm pack` puts in the
npm package and the gzip size of what a browser loads.

    python3 scripts/package-report.py BENCHMARKS.md     # after scripts/build-package.sh
"""
import datetime
import gzip
import json
import pathlib
import subprocess
import sys

from benchmarks import verdict, write_section

pkg = pathlib.Path("pkg")
pack = json.loads(
    subprocess.run(["npm", "pack", "--dry-run", "--json"], cwd=pkg, capture_output=True, text=True, check=True).stdout
)[0]
browser_js = [pkg / "index.js", pkg / "ssekit.js"]
wasm = pkg / "ssekit.wasm"
gz = lambda data: len(gzip.compress(data, 9))
js_gzip = gz(b"".join(p.read_bytes() for p in browser_js))
wasm_gzip = gz(wasm.read_bytes())
total = js_gzip + wasm_gzip
lines = [
    "<!-- package-bench:start -->",
    "## npm package (`pkg/`)",
    "",
    "Command: `./scripts/build-package.sh && python3 scripts/package-report.py BENCHMARKS.md`.",
    f"Run on {datetime.date.today().isoformat()}: `{pack['name']}@{pack['version']}`, {pack['entryCount']} files,",
    f"{pack['size']:,} B packed, {pack['unpackedSize']:,} B unpacked.",
    "",
    "| file | bytes |",
    "|---|---:|",
    *[f"| `{f['path']}` | {f['size']:,} |" for f in sorted(pack["files"], key=lambda f: f["path"])],
    "",
    f"What a browser loads from the default entry (`index.js`, `ssekit.js`, `ssekit.wasm`),",
    f"gzip -9: JS {js_gzip:,} B + wasm {wasm_gzip:,} B = {total:,} B. Target ≤ 11 KB (11,264 B): "
    + verdict(total <= 11 * 1024) + ".",
    "<!-- package-bench:end -->",
]
write_section(sys.argv[1], "<!-- package-bench:start -->", "<!-- package-bench:end -->", "\n".join(lines))
