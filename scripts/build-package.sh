#!/usr/bin/env bash
# Builds the npm package into pkg/ (generated; not committed): the
# --target web build in pkg/web, the --target bundler build in pkg/bundler,
# and pkg-template/ (package.json, entry points, types, README) merged on
# top, with the version taken from Cargo.toml. Then packs it into
# target/ssekit.tgz and prints `npm pack --dry-run`'s file list and the gzip
# size of what a browser loads (index.js + web/ JS + wasm).
#
#   scripts/build-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
rm -rf pkg
mkdir -p pkg target
./scripts/build-web.sh pkg/web web
./scripts/build-web.sh pkg/bundler bundler
cp pkg-template/package.json pkg-template/README.md pkg-template/index.js pkg-template/index.d.ts \
  pkg-template/node.js pkg/
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
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
wasm=$(gzip -9c pkg/web/ssekit_bg.wasm | wc -c)
js=$(cat pkg/index.js $(find pkg/web -name '*.js') | gzip -9c | wc -c)
echo "browser entry: wasm $wasm B gzip + JS $js B gzip = $((wasm + js)) B gzip (target 30720)"
