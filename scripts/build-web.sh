#!/usr/bin/env bash
# Builds the npm package's files into a directory (default pkg/): the wasm
# core (crates/ssekit-wasm, wasm-pack with the wasm-release profile, then
# wasm-opt -Oz from npm's binaryen: Debian's binaryen 108 cannot read the
# features today's rustc emits) as ssekit.wasm; the JavaScript shell
# (crates/ssekit-wasm/js/ssekit.js) and the entries from pkg-template/,
# minified with esbuild; the declarations. Prints, last, the gzip size of
# what a browser loads from the default entry (index.js + ssekit.js +
# ssekit.wasm).
#
#   scripts/build-web.sh [out-dir=pkg]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=${1:-pkg}
. scripts/lib.sh
[ -x node_modules/.bin/wasm-opt ] && [ -x node_modules/esbuild/bin/esbuild ] || npm_install
# SIMD128 (every current browser has it): memchr's line search uses it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} -C target-feature=+simd128"
build=target/wasm-build
wasm-pack build crates/ssekit-wasm --target web --profile wasm-release --no-opt --out-name ssekit \
  --out-dir ../../$build --no-pack
mkdir -p "$out"
# --zero-filled-memory: the module defines its memory (a fresh one is zeroes).
node_modules/.bin/wasm-opt "$build/ssekit_bg.wasm" -Oz --converge --strip-debug --strip-producers \
  --strip-target-features --zero-filled-memory \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  -o "$out/ssekit.wasm"
# wasm-bindgen's generated JS glue is not shipped: js/ssekit.js instantiates
# the module itself (its exports take and return numbers only).
esbuild=node_modules/esbuild/bin/esbuild
# No --keep-names: the exported classes are named by object keys (see js/ssekit.js).
"$esbuild" crates/ssekit-wasm/js/ssekit.js --minify --format=esm --target=es2022 \
  --log-level=warning --outfile="$out/ssekit.js"
for entry in index node workerd; do
  "$esbuild" "pkg-template/$entry.js" --minify --format=esm --log-level=warning \
    --outfile="$out/$entry.js"
done
cp pkg-template/index.d.ts "$out/"
wasm=$(gzip -9c "$out/ssekit.wasm" | wc -c)
js=$(cat "$out/index.js" "$out/ssekit.js" | gzip -9c | wc -c)
echo "browser entry: wasm $(wc -c < "$out/ssekit.wasm") B raw, $wasm B gzip; JS $js B gzip; total $((wasm + js)) B gzip"
