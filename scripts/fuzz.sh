#!/usr/bin/env bash
# Runs each cargo-fuzz target for SECONDS (default 30) from the seed corpus
# (written from the test fixtures by fuzz/src/bin/seed_corpus.rs) plus the
# corpus earlier runs grew in fuzz/corpus/. A crash is copied to
# fuzz/regressions/<target>/, where tests/fuzz_regressions.rs replays it, and
# the script fails. With --report, writes the fuzzing section of
# RELIABILITY.md.
#
#   scripts/fuzz.sh 30              # the test command's bounded run
#   scripts/fuzz.sh 3600 --report   # an hour per target
#
# Stable Rust: RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags, and no
# sanitizer is needed because ssekit forbids unsafe code (a panic or a failed
# check is what the fuzzer looks for).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${1:-30}
report=${2:-}
targets=(parse_chunked encode_roundtrip)

cargo run --quiet --locked --release --manifest-path fuzz/Cargo.toml --bin seed_corpus -- fuzz/seeds
mkdir -p target/fuzz
: > target/fuzz/summary.tsv
failed=0
for target in "${targets[@]}"; do
  echo "==> fuzzing $target for ${seconds}s"
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target" "fuzz/regressions/$target"
  log="target/fuzz/$target.log"
  status=0
  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --fuzz-dir fuzz "$target" \
    "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -aE "^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE))" "$log" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  crashes=0
  for artifact in "fuzz/artifacts/$target"/*; do
    [ -f "$artifact" ] || continue
    crashes=$((crashes + 1))
    mv "$artifact" "fuzz/regressions/$target/"
    echo "    crash: $artifact, moved to fuzz/regressions/$target/ (commit it with the fix)"
  done
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    tail -30 "$log"
    echo "    cargo fuzz failed (exit $status) without an artifact"
    failed=1
  fi
  [ "$crashes" -gt 0 ] && failed=1
  printf '%s\t%s\t%s\t%s\t%s\n' "$target" "$seconds" "${execs:-0}" "$crashes" "$corpus" >> target/fuzz/summary.tsv
  echo "    $target: ${execs:-0} executions in ${seconds}s, $crashes crashes, corpus $corpus inputs"
done

if [ "$report" = --report ]; then
  python3 scripts/fuzz-report.py target/fuzz/summary.tsv RELIABILITY.md
fi
exit "$failed"
