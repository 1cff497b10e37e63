#!/usr/bin/env bash
# Runs every test ssekit has, installing what it needs first (idempotent):
# `cargo xtask test` (xtask/src/test.rs). README.md names this command and
# .ci/run calls it. Steps named after it run alone, with the steps they need
# (`./scripts/test.sh --list` names them).
#
#   ./scripts/test.sh
#   ./scripts/test.sh native browser
#
# Environment: SSEKIT_SKIP_FIREFOX=1 skips the Firefox runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# rustup's cargo, also from a shell that has not put it on PATH.
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo xtask test "$@"
