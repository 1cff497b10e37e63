#!/usr/bin/env bash
# Assembles the demo site the worker serves as static assets
# (wrangler.toml [assets] directory): www/ plus the npm package (pkg/, built
# by scripts/build-package.sh unless SSEKIT_REUSE_PKG=1 and it exists) under
# ssekit/, and demo-config.json when SSEKIT_DEMO_CONFIG holds one.
#
#   scripts/build-site.sh      # -> target/site/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SSEKIT_REUSE_PKG:-0}" != 1 ] || [ ! -f pkg/index.js ]; then
  ./scripts/build-package.sh
fi
rm -rf target/site
mkdir -p target
cp -r www target/site
cp -r pkg target/site/ssekit
# The demo's local tokens (scripts/demo.sh), never part of a deployed site.
if [ -n "${SSEKIT_DEMO_CONFIG:-}" ]; then
  printf '%s\n' "$SSEKIT_DEMO_CONFIG" > target/site/demo-config.json
fi
echo "site assembled in target/site"
