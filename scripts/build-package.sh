#!/usr/bin/env bash
# Builds the npm package into pkg/ (generated; not committed): the files
# scripts/build-web.sh makes, plus package.json (version from the wasm
# crate's Cargo.toml) and the README from pkg-template/. Then packs it into
# target/ssekit.tgz and prints `npm pack --dry-run`'s file list and the gzip
# size of what a browser loads.
#
#   scripts/build-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
rm -rf pkg
mkdir -p pkg target
size=$(./scripts/build-web.sh pkg | tail -n 1)
cp pkg-template/package.json pkg-template/README.md pkg/
version=$(sed -n 's/^version = "\(.*\)"/\1/p' crates/ssekit-wasm/Cargo.toml | head -n 1)
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("pkg/package.json", "utf8"));
  p.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(p, null, 2) + "\n");
' "$version"
echo "==> npm pack --dry-run (pkg/)"
(cd pkg && npm pack --dry-run 2>&1 | grep -v "nodedir")
# BENCHMARKS.md keeps the same report: python3 scripts/package-report.py BENCHMARKS.md
(cd pkg && npm pack --pack-destination ../target >/dev/null 2>&1) && mv "target/ssekit-$version.tgz" target/ssekit.tgz
echo "$size (target 11264)"
