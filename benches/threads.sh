#!/usr/bin/env bash
# benches/threads.sh [RUNS]
# --threads 1 and --threads 2 on the reference capture (BENCH_PCAP, default
# /tmp/bench.pcap), alternating so that a noisy machine hits both alike;
# prints every run's wall and CPU seconds and checks the outputs are identical.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
runs=${1:-5}
[ -s "$pcap" ] || bash "${BENCH_KIT:-$root/../shared/bench}/build-bench-pcap.sh" "$pcap"
cargo build --quiet --release --manifest-path "$root/Cargo.toml"
bin=$root/target/release/callpath
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for _ in $(seq "$runs"); do
  for t in 1 2; do
    /usr/bin/time -f "$t %e %U %S" "$bin" analyze --format ndjson --threads "$t" "$pcap" 2>&1 > "$out/$t.ndjson" | tail -1
  done
done | awk '{wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " ($3 + $4)}
  END {for (t in wall) print "threads " t "  wall:" wall[t] "  cpu:" cpu[t]}'
cmp "$out/1.ndjson" "$out/2.ndjson" && echo "outputs of --threads 1 and 2 identical"
