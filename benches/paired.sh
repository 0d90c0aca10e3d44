#!/usr/bin/env bash
# benches/paired.sh ROUNDS THREADS A B
# Is B faster than A? A and B are callpath commands (a binary, or e.g.
# "env NAME=VALUE BIN" to compare settings of one build), each run as
# `A analyze --format ndjson --threads THREADS` on the reference capture
# (BENCH_PCAP, default /tmp/bench.pcap), one-thread runs pinned to
# processor 1. Every round runs both, in alternating order, so a slow spell
# of a shared machine falls on both; the figure is the median over rounds
# of B's time over A's, with a 90 % bootstrap interval of that median. On
# the 2-vCPU machines of this project one build's single runs vary by up to
# 2x within an hour, while the ratio of a round's two runs varies by a few
# per cent: a change whose interval stays below 1 made B faster.
# PAUSE=SECONDS waits that long before every run: on a virtual machine
# whose kernel hands free 2 MiB blocks back to the host (free page
# reporting, order 9), memory the previous run freed is then no longer
# backed, as for a single run started from a shell.
# Needs python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 4 ] || { echo "usage: $0 ROUNDS THREADS A B" >&2; exit 2; }
rounds=$1 threads=$2 a=$3 b=$4
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
[ -s "$pcap" ] || bash "${BENCH_KIT:-$root/../shared/bench}/build-bench-pcap.sh" "$pcap"
pin=()
[ "$threads" = 1 ] && pin=(taskset -c 1)
times=$(mktemp)
trap 'rm -f "$times"' EXIT
run_ms() {
  local start end
  sleep "${PAUSE:-0}"
  start=$(date +%s%N)
  # shellcheck disable=SC2086 # A and B are command lines, split on purpose
  "${pin[@]}" $1 analyze --format ndjson --threads "$threads" "$pcap" > /dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 0 ]; then
    ta=$(run_ms "$a"); tb=$(run_ms "$b")
  else
    tb=$(run_ms "$b"); ta=$(run_ms "$a")
  fi
  echo "$ta $tb" >> "$times"
done
python3 - "$times" "$a" "$b" <<'PY'
import random, statistics, sys
rows = [tuple(map(int, line.split())) for line in open(sys.argv[1]) if line.strip()]
ratios = [b / a for a, b in rows]
random.seed(1)
medians = sorted(statistics.median(random.choices(ratios, k=len(ratios))) for _ in range(2000))
print(f"A: {sys.argv[2]}  median {statistics.median(r[0] for r in rows)} ms")
print(f"B: {sys.argv[3]}  median {statistics.median(r[1] for r in rows)} ms")
print(f"B/A per round: median {statistics.median(ratios):.3f}, 90 % interval "
      f"{medians[100]:.3f}-{medians[1899]:.3f}; B faster in {sum(r < 1 for r in ratios)} of {len(ratios)} rounds")
PY
