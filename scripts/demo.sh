#!/usr/bin/env bash
# The live demo: the broadcast worker in local workerd plus the www/ page.
# It arrives with the package/demo issue; until then this says so.
set -euo pipefail
echo "ssekit demo: coming — the worker and the www/ demo page are not built yet."
echo "Meanwhile, try the parser on any SSE stream:"
echo "  curl -sN https://your.server/stream | cargo run -q --example sse2json"
