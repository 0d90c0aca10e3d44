#!/usr/bin/env bash
# benches/alternate.sh ROUNDS BIN...
# The kit's floor program, ndpiReader and each callpath BIN on the
# reference capture (BENCH_PCAP, default /tmp/bench.pcap), one core each
# (taskset -c 1), in rounds: every round runs each program once, so a slow
# spell of a shared machine falls on all of them alike (compare.sh runs each
# program RUNS times back to back), each round starting one program later.
# Prints the medians and, per BIN, ndpiReader's time and the floor's time
# over BIN's. Also prints the steal
# time of processor 1 during each program's runs (/proc/stat): time the
# host ran something else while the program waited for it, which slows
# every program here alike and, when high, says the figures are of a busy
# host rather than of the code.
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
wall=$(mktemp)
trap 'rm -f "$times" "$wall"' EXIT
# Steal ticks (1/100 s) of processor 1, where every program runs.
steal() { awk '/^cpu1 / {print $9}' /proc/stat; }
# timed NAME CMD...: one run of CMD, its wall time and the steal meanwhile.
timed() {
  local name=$1 before
  shift
  before=$(steal)
  /usr/bin/time -f "%e" -o "$wall" "$@" > /dev/null 2>&1
  echo "$name $(cat "$wall") $(($(steal) - before))" >> "$times"
}
# run I: the I-th program of a round (0 floor, 1 ndpiReader, then the BINs).
run() {
  case $1 in
    0) timed floor taskset -c 1 "$floor_dir/release/floor" flows-fx "$pcap" ;;
    1) timed ndpiReader taskset -c 1 ndpiReader -q -i "$pcap" ;;
    *)
      local bin=${bins[$1 - 2]}
      timed "$bin" taskset -c 1 "$bin" analyze --format ndjson --threads 1 "$pcap"
      ;;
  esac
}
bins=("$@")
programs=$((2 + ${#bins[@]}))
# Each round starts one program later, so that no program always runs
# right after the same one: the one after ndpiReader ran 15-20 % slower
# (two builds whose order was swapped traded places, 2026-12-03).
for round in $(seq 0 $((rounds - 1))); do
  for i in $(seq 0 $((programs - 1))); do
    run $(((round + i) % programs))
  done
done
python3 - "$times" "$@" <<'PY'
import statistics, sys
runs, stolen = {}, {}
for line in open(sys.argv[1]):
    name, secs, ticks = line.split()
    runs.setdefault(name, []).append(float(secs))
    stolen.setdefault(name, []).append(int(ticks) / 100)
median = {k: statistics.median(v) for k, v in runs.items()}
for k, v in runs.items():
    share = 100 * sum(stolen[k]) / sum(v)
    print(f"{k:40} median {median[k]:6.2f} s   runs {sorted(v)}   steal {share:.0f} % of the wall time")
for b in sys.argv[2:]:
    print(f"{b}: {median['ndpiReader'] / median[b]:.2f}x ndpiReader, {median['floor'] / median[b]:.2f} of the floor")
PY
