#!/usr/bin/env bash
# Browser benchmark (a report, not a test): builds the web package, writes the
# fixtures, serves both with benches/browser/server.mjs, runs the page in
# headless Chromium via Playwright, and rewrites the browser section of
# BENCHMARKS.md. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
npm_install
size_line=$(./scripts/build-web.sh | tail -n 1)
echo "$size_line"
cargo run --locked --release --example write_fixtures -- target/bench-fixtures 0.25
start_node_server benches/browser/server.mjs target/bench-server.log
port=$SERVER_PORT
node benches/browser/run.mjs "http://127.0.0.1:$port/" > target/bench-browser.json
python3 scripts/bench-browser-report.py target/bench-browser.json "$size_line" BENCHMARKS.md
