#!/usr/bin/env bash
# Core parser benchmark (a report, not a test): criterion run, then the core
# section of BENCHMARKS.md is rewritten from its results. Takes ~3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo bench --locked --bench parse
# The fixture list for the report, from the Rust fixtures (tiny files: only
# the manifest is read).
cargo run --locked --release --example write_fixtures -- target/bench-fixtures-core 0.001
python3 scripts/bench-report.py target/criterion BENCHMARKS.md target/bench-fixtures-core/manifest.json
