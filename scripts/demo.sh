#!/usr/bin/env bash
# The live demo: `cargo xtask demo` (xtask/src/demo.rs) installs what it
# needs and builds the npm package and the site with local tokens; then
# scripts/demo.mjs runs the worker in local workerd (wrangler dev) serving
# the www/ page, prints the URL and keeps running; Ctrl-C stops everything,
# workerd included.
#
#   ./scripts/demo.sh                 # http://127.0.0.1:8787/
#   PORT=9000 ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup's cargo, also from a shell that has not put it on PATH.
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo xtask demo "$@"
