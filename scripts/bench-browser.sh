#!/usr/bin/env bash
# Browser benchmark (a report, not a test): builds the web package, writes the
# fixtures, serves both with benches/browser/server.mjs, runs the page in
# headless Chromium via Playwright, and rewrites the browser section of
# BENCHMARKS.md. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
npm ci --no-audit --no-fund
size_line=$(./scripts/build-web.sh | tail -n 1)
echo "$size_line"
cargo run --locked --release --example write_fixtures -- target/bench-fixtures 0.25
node benches/browser/server.mjs 0 > target/bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' target/bench-server.log)
  [ -n "$port" ] && break
  sleep 0.1
done
node benches/browser/run.mjs "http://127.0.0.1:$port/" > target/bench-browser.json
python3 scripts/bench-browser-report.py target/bench-browser.json "$size_line" BENCHMARKS.md
