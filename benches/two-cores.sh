#!/usr/bin/env bash
# benches/two-cores.sh [ROUNDS] [BIN]
# What two cores of this machine give at best, and how much of it
# `--threads 2` gets. Each round, on the reference capture (BENCH_PCAP,
# default /tmp/bench.pcap): one `--threads 1` run alone (taskset -c 1), two
# independent ones at once (one on each core), then one `--threads 2` run.
# Two processes share nothing, so 2 × alone ÷ the pair's wall time is what
# the two cores give together (shared cache, memory bandwidth, the host);
# alone ÷ the two-thread run's wall time is what `--threads 2` got of it.
# The cross-core round trip (benches/core-to-core.c) is measured before each
# round and after its two-thread run: this machine's two processors share a
# cache in some spells and not in others, and a round counts for one state
# when both trips agree. Prints every round and the medians of each state.
# Default BIN: this checkout's release build. Needs a C compiler (cc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
rounds=${1:-7}
bin=${2:-$root/target/release/callpath}
[ -s "$pcap" ] || bash "${BENCH_KIT:-$root/../shared/bench}/build-bench-pcap.sh" "$pcap"
[ $# -ge 2 ] || cargo build --quiet --release --manifest-path "$root/Cargo.toml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -pthread "$root/benches/core-to-core.c" -o "$tmp/core-to-core"
# run CPUS THREADS OUT: one analysis on CPUS; its wall and CPU seconds to OUT.
run() {
  /usr/bin/time -f "%e %U %S" -o "$3" taskset -c "$1" \
    "$bin" analyze --format ndjson --threads "$2" "$pcap" > /dev/null
}
now() { date +%s.%N; }
for _ in $(seq "$rounds"); do
  before=$("$tmp/core-to-core")
  run 1 1 "$tmp/a"
  start=$(now)
  run 0 1 "$tmp/b" &
  run 1 1 "$tmp/c"
  wait
  pair=$(echo "$(now) - $start" | bc)
  run 0,1 2 "$tmp/d"
  after=$("$tmp/core-to-core")
  # trip-before trip-after alone pair two-threads, then CPU: alone, each of the pair, two threads
  echo "$before $after $(awk '{print $1}' "$tmp/a") $pair $(awk '{print $1}' "$tmp/d")" \
    "$(cat "$tmp/a" "$tmp/b" "$tmp/c" "$tmp/d" | awk '{printf "%.2f ", $2 + $3}')"
done | awk '
  function median(list,    n, v, i, j, x) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
    return n ? ((n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : 0
  }
  {
    bound = 2 * $3 / $4; got = $3 / $5
    state = ($1 < 200 && $2 < 200) ? "shared" : ($1 >= 200 && $2 >= 200) ? "apart" : "mixed"
    printf "trip %3d/%3d ns (%s)  alone %.2f s  pair %.2f s  two threads %.2f s  cpu %s %s %s %s  two cores give %.2fx, --threads 2 got %.2fx (%.0f %%)\n",
      $1, $2, state, $3, $4, $5, $6, $7, $8, $9, bound, got, 100 * got / bound
    b[state] = b[state] " " bound; g[state] = g[state] " " got; f[state] = f[state] " " got / bound
    b["all"] = b["all"] " " bound; g["all"] = g["all"] " " got; f["all"] = f["all"] " " got / bound
    n[state]++; n["all"]++
  }
  END {
    split("shared apart mixed all", states, " ")
    for (i = 1; i <= 4; i++) if (n[states[i]])
      printf "%-6s %2d rounds, medians: two cores give %.2fx, --threads 2 got %.2fx (%.0f %% of it)\n",
        states[i], n[states[i]], median(b[states[i]]), median(g[states[i]]), 100 * median(f[states[i]])
  }'
