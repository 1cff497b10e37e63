#!/usr/bin/env bash
# Builds the deployable worker (hub/) with worker-build into hub/build/,
# using local tools instead of the downloads worker-build would attempt:
# the pinned wasm-bindgen CLI, npm's esbuild (from wrangler) and npm's
# binaryen wasm-opt. wrangler.toml runs this as its build command.
#
#   scripts/build-worker.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
[ -x node_modules/esbuild/bin/esbuild ] && [ -x node_modules/.bin/wasm-opt ] || npm_install
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen)}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/esbuild/bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
profile=--release
[ "${1:-}" = --dev ] && profile=--dev
cd hub
worker-build "$profile"
ls -la build
