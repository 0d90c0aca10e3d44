#!/usr/bin/env bash
# benches/alternate.sh ROUNDS BIN...
# The kit's floor program, ndpiReader and each callpath BIN on the
# reference capture (BENCH_PCAP, default /tmp/bench.pcap), one core each
# (taskset -c 1), in rounds: every round runs each program once, so a slow
# spell of a shared machine falls on all of them alike (compare.sh runs each
# program RUNS times back to back). Prints the medians and, per BIN,
# ndpiReader's time and the floor's time over BIN's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
rounds=${1:?usage: alternate.sh ROUNDS BIN...}
shift
[ $# -gt 0 ] || { echo "usage: alternate.sh ROUNDS BIN..." >&2; exit 1; }
[ -s "$pcap" ] || bash "$kit/build-bench-pcap.sh" "$pcap"
floor_dir=${FLOOR_TARGET_DIR:-$root/target/bench-floor}
cargo build --quiet --release --manifest-path "$kit/floor/Cargo.toml" --target-dir "$floor_dir"
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in $(seq "$rounds"); do
  /usr/bin/time -f "floor %e" -a -o "$times" taskset -c 1 "$floor_dir/release/floor" flows-fx "$pcap" > /dev/null
  /usr/bin/time -f "ndpiReader %e" -a -o "$times" taskset -c 1 ndpiReader -q -i "$pcap" > /dev/null
  for bin in "$@"; do
    /usr/bin/time -f "$bin %e" -a -o "$times" taskset -c 1 "$bin" analyze --format ndjson --threads 1 "$pcap" > /dev/null
  done
done
python3 - "$times" "$@" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, _, secs = line.strip().rpartition(" ")
    runs.setdefault(name, []).append(float(secs))
median = {k: statistics.median(v) for k, v in runs.items()}
for k, v in runs.items():
    print(f"{k:40} median {median[k]:6.2f} s   runs {sorted(v)}")
for b in sys.argv[2:]:
    print(f"{b}: {median['ndpiReader'] / median[b]:.2f}x ndpiReader, {median['floor'] / median[b]:.2f} of the floor")
PY
