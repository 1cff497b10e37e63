# Shell helpers shared by the scripts (source it).

# start_node_server SCRIPT LOG: starts `node SCRIPT 0` in the background,
# stops it when the calling shell exits, and sets SERVER_PORT to the port it
# announced ("listening <port>"), or fails with its log.
start_node_server() {
  local script=$1 log=$2
  mkdir -p "$(dirname "$log")"
  node "$script" 0 > "$log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
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
