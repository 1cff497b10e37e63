# Shell helpers shared by the scripts (source it).

# stop_on_exit PID: kills PID
# when the calling shell exits; several PIDs may be registered.
SSEKIT_STOP_PIDS=${SSEKIT_STOP_PIDS:-}
stop_on_exit() {
  SSEKIT_STOP_PIDS="$SSEKIT_STOP_PIDS $1"
  trap 'for p in $SSEKIT_STOP_PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
}

# start_node_server SCRIPT LOG: starts `node SCRIPT 0` in the background,
# stops it when the calling shell exits, and sets SERVER_PORT to the port it
# announced ("listening <port>"), or fails with its log.
start_node_server() {
  local script=$1 log=$2
  mkdir -p "$(dirname "$log")"
  node "$script" 0 > "$log" 2>&1 &
  stop_on_exit $!
  SERVER_PORT=""
  for _ in $(seq 100); do
    SERVER_PORT=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$log")
    [ -n "$SERVER_PORT" ] && return 0
    sleep 0.1
  done
  cat "$log"
  echo "$script did not start"
  return 1
}

# npm_install: the npm dev tools at the versions package-lock.json pins.
# Not `npm ci`: the registry reachable here lacks the macOS/Windows builds of
# workerd, which npm ci insists on finding in the lock file; `npm install`
# skips optional packages for other platforms.
npm_install() {
  npm install --no-audit --no-fund --no-save
}

