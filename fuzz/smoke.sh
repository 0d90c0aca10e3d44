#!/usr/bin/env bash
# Runs every fuzz target for N seconds each (default 30), for CI.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo-fuzz's
# instrumentation flags need a nightly compiler; RUSTC_BOOTSTRAP=1 lets a
# stable toolchain accept them. No sanitizer: the library has no unsafe
# code, and without ASan each target runs several times faster.
# Usage: fuzz/smoke.sh [seconds] [target ...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-30}
shift || true
export RUSTC_BOOTSTRAP=1
flags=(-s none --debug-assertions)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build "${flags[@]}"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t (${secs}s)"
    if ! cargo fuzz run "${flags[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 2>"artifacts-$t.log"; then
        failed+=("$t")
        tail -40 "artifacts-$t.log"
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "artifacts-$t.log" | tr '\n' ' '
    echo
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz smoke: failures in ${failed[*]} (crash inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz smoke: ${#targets[@]} targets ran ${secs}s each without a finding"
