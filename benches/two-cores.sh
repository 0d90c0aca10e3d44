#!/usr/bin/env bash
# benches/two-cores.sh [ROUNDS] [BIN]
# What two cores of this machine give at best: one `--threads 1` run alone
# (taskset -c 1), then two independent ones at once (one on each core), in
# alternating rounds on the reference capture (BENCH_PCAP, default
# /tmp/bench.pcap). Two processes share nothing, so 2 × alone ÷ the pair's
# wall time is the ceiling of `--threads 2`'s speed-up on this machine
# (shared cache, memory bandwidth, the host); `threads.sh` measures what
# `--threads 2` gets. Prints every round's wall and CPU (user + system)
# seconds and the medians. Default BIN: this checkout's release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
rounds=${1:-7}
bin=${2:-$root/target/release/callpath}
[ -s "$pcap" ] || bash "${BENCH_KIT:-$root/../shared/bench}/build-bench-pcap.sh" "$pcap"
[ $# -ge 2 ] || cargo build --quiet --release --manifest-path "$root/Cargo.toml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# run CPU OUT: one analysis pinned to CPU; its wall and CPU seconds to OUT.
run() {
  /usr/bin/time -f "%e %U %S" -o "$2" taskset -c "$1" \
    "$bin" analyze --format ndjson --threads 1 "$pcap" > /dev/null
}
now() { date +%s.%N; }
alone="" pair="" cpu_alone="" cpu_pair=""
for _ in $(seq "$rounds"); do
  run 1 "$tmp/a"
  alone+="$(awk '{print $1}' "$tmp/a") "
  cpu_alone+="$(awk '{print $2 + $3}' "$tmp/a") "
  start=$(now)
  run 0 "$tmp/b" &
  run 1 "$tmp/c"
  wait
  pair+="$(echo "$(now) - $start" | bc | awk '{printf "%.2f", $1}') "
  cpu_pair+="$(cat "$tmp/b" "$tmp/c" | awk '{printf "%.2f ", $2 + $3}')"
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "alone  wall: $alone cpu: $cpu_alone"
echo "pair   wall: $pair cpu (each): $cpu_pair"
a=$(echo "$alone" | median)
p=$(echo "$pair" | median)
ca=$(echo "$cpu_alone" | median)
cp=$(echo "$cpu_pair" | median)
awk -v a="$a" -v p="$p" -v ca="$ca" -v cp="$cp" 'BEGIN {
  printf "medians: alone %.2f s (CPU %.2f s), two at once %.2f s (CPU %.2f s each)\n", a, ca, p, cp
  printf "two cores give %.2fx one core at best (2 x alone / pair)\n", 2 * a / p
}'
