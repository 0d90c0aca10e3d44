#!/usr/bin/env bash
# benches/compare.sh [RUNS]
# Side-by-side speed and memory of the floor program, ndpiReader and callpath
# on the reference benchmark capture, through the shared kit
# (BENCH_KIT, default ../shared/bench next to the repository). Builds the capture (BENCH_PCAP,
# default /tmp/bench.pcap) and callpath's release binary when missing.
# CALLPATH_BIN times another build instead (e.g. the PGO build of
# benches/pgo.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
runs=${1:-3}
[ -d "$kit" ] || { echo "benchmark kit not found at $kit (set BENCH_KIT)" >&2; exit 1; }
[ -s "$pcap" ] || bash "$kit/build-bench-pcap.sh" "$pcap"
bin=${CALLPATH_BIN:-$root/target/release/callpath}
[ -n "${CALLPATH_BIN:-}" ] || cargo build --quiet --release --manifest-path "$root/Cargo.toml"
# The kit's own directory may be read-only: build its floor program here.
export FLOOR_TARGET_DIR=${FLOOR_TARGET_DIR:-$root/target/bench-floor}
bash "$kit/compare.sh" "$pcap" "$bin" "$runs"
# The page cache's folios move every program's time (see page-cache.sh).
bash "$root/benches/page-cache.sh" "$pcap"
# Anonymous memory (heap) of callpath at its peak.
peak=$(bash "$root/benches/peak-rss.sh" "$bin" analyze --format ndjson --threads 1 "$pcap")
echo "callpath peak RssAnon: $((peak / 1024)) MiB"
