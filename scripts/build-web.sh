#!/usr/bin/env bash
# Builds the browser package for `--target web` into target/web-pkg (or $1),
# size-optimised: the wasm-release profile, then wasm-opt -Oz from npm's
# binaryen (Debian's binaryen 108 cannot read the features today's rustc
# emits). Prints the gzip size of wasm + JS.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=${1:-target/web-pkg}
. scripts/lib.sh
[ -x node_modules/.bin/wasm-opt ] || npm_install
# SIMD128 (every current browser has it): memchr and simdutf8 use it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} -C target-feature=+simd128"
wasm-pack build --target web --profile wasm-release --no-opt --out-dir "$out" --no-pack -- --features browser
node_modules/.bin/wasm-opt "$out/ssekit_bg.wasm" -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  -o "$out/ssekit_bg.wasm"
wasm=$(gzip -9c "$out/ssekit_bg.wasm" | wc -c)
js=$(cat "$out/ssekit.js" $(find "$out/snippets" -name '*.js') | gzip -9c | wc -c)
echo "web package: wasm $(wc -c < "$out/ssekit_bg.wasm") B raw, $wasm B gzip; JS $js B gzip; total $((wasm + js)) B gzip"
