#!/usr/bin/env bash
# Builds the browser package's wasm + JS for one wasm-pack target into a
# directory, size-optimised: the wasm-release profile, then wasm-opt -Oz from
# npm's binaryen (Debian's binaryen 108 cannot read the features today's rustc
# emits), and the JS minified with esbuild. Prints the gzip size of wasm + JS
# on its last line.
#
#   scripts/build-web.sh [out-dir=target/web-pkg] [target=web]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=${1:-target/web-pkg}
target=${2:-web}
. scripts/lib.sh
[ -x node_modules/.bin/wasm-opt ] || npm_install
# SIMD128 (every current browser has it): memchr and simdutf8 use it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} -C target-feature=+simd128"
# --out-dir is relative to the crate; the files are named ssekit* (the npm name).
case $out in /*) crate_out=$out ;; *) crate_out=../../$out ;; esac
wasm-pack build crates/ssekit-wasm --target "$target" --profile wasm-release --no-opt --out-name ssekit \
  --out-dir "$crate_out" --no-pack
# wasm-pack marks its output directory as ignored; the package must ship it.
rm -f "$out/.gitignore"
node_modules/.bin/wasm-opt "$out/ssekit_bg.wasm" -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  -o "$out/ssekit_bg.wasm"
# Minify the generated JS glue and our snippets in place (esbuild from
# wrangler's dependencies; module by module, no bundling, so the relative
# snippet imports and `new URL("ssekit_bg.wasm", import.meta.url)` stay).
# The declarations in *.d.ts carry the documentation.
[ -x node_modules/esbuild/bin/esbuild ] || npm_install
find "$out" -name '*.js' -print0 | while IFS= read -r -d '' file; do
  node_modules/esbuild/bin/esbuild "$file" --minify --format=esm --log-level=error \
    --outfile="$file" --allow-overwrite
done
wasm=$(gzip -9c "$out/ssekit_bg.wasm" | wc -c)
js=$(cat $(find "$out" -name '*.js') | gzip -9c | wc -c)
echo "$target package: wasm $(wc -c < "$out/ssekit_bg.wasm") B raw, $wasm B gzip; JS $js B gzip; total $((wasm + js)) B gzip"
