#!/usr/bin/env bash
# wrangler for this repository, from a fresh clone: `cargo xtask wrangler`
# installs what it needs (skipped quickly when present; progress on stderr)
# and runs the pinned wrangler under the pinned Node 22 (wrangler needs
# >= 22.12; the machine's own node may be older). Arguments go to wrangler as
# they are.
#
#   ./scripts/wrangler.sh dev --ip 127.0.0.1 --port 8787
#   ./scripts/wrangler.sh deploy
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup's cargo, also for wrangler's build command (wrangler.toml).
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo xtask wrangler "$@"
