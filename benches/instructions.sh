#!/usr/bin/env bash
# benches/instructions.sh [BIN...]
# Instructions executed by `BIN analyze --format ndjson --threads 1` on the
# reference capture (BENCH_PCAP, default /tmp/bench.pcap), counted by
# valgrind's cachegrind: the same figure on every run, where wall times on a
# shared 2-vCPU machine swing by ±30 %. It counts work, not cache misses or
# page faults, so it complements the timings of compare.sh; it does not
# replace them. Default BIN: this checkout's release build. Needs valgrind
# (`apt-get install -y valgrind`); about 30× slower than a plain run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
[ -s "$pcap" ] || bash "${BENCH_KIT:-$root/../shared/bench}/build-bench-pcap.sh" "$pcap"
command -v valgrind > /dev/null || { echo "valgrind not found (apt-get install -y valgrind)" >&2; exit 1; }
if [ $# -eq 0 ]; then
  cargo build --quiet --release --manifest-path "$root/Cargo.toml"
  set -- "$root/target/release/callpath"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for bin in "$@"; do
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" \
    "$bin" analyze --format ndjson --threads 1 "$pcap" 2>&1 > /dev/null |
    awk -v b="$bin" '/I +refs/ {gsub(/,/, "", $4); printf "%-40s %6.3f G instructions\n", b, $4 / 1e9}'
done
