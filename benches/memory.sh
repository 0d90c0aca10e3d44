#!/usr/bin/env bash
# benches/memory.sh [COPIES] [TIMES]
# Peak anonymous memory over longer traffic, one thread: the kit's capture
# built with COPIES copies of each call capture (default 22: 206 k packets,
# 889 s), the same capture played TIMES times back to back (default 10;
# `editcap -t` + `mergecap -a`), and TIMES plays each with its addresses
# rewritten (`tcprewrite --seed`), at the default knowledge window and at
# 900 s. Memory should follow the active flows, not the capture's length.
# Needs tshark (editcap, mergecap, capinfos) and tcpreplay (tcprewrite).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
copies=${1:-22}
times=${2:-10}
work=${MEMORY_DIR:-/tmp/callpath-memory}
mkdir -p "$work"
base=$work/base-$copies.pcap
[ -s "$base" ] || bash "$kit/build-bench-pcap.sh" "$base" "$copies"
cargo build --quiet --release --manifest-path "$root/Cargo.toml"
bin=$root/target/release/callpath
span=$(capinfos -u -T -r "$base" | awk -F'\t' '{print int($2) + 1}')
same=$work/same-$copies-x$times.pcap
fresh=$work/fresh-$copies-x$times.pcap
if [ ! -s "$same" ] || [ ! -s "$fresh" ]; then
  parts=$(mktemp -d)
  trap 'rm -rf "$parts"' EXIT
  for i in $(seq 0 $((times - 1))); do
    editcap -t $((i * span)) "$base" "$parts/same-$i.pcap"
    tcprewrite --seed=$((i + 1)) --infile="$base" --outfile="$parts/seeded-$i.pcap"
    editcap -t $((i * span)) "$parts/seeded-$i.pcap" "$parts/fresh-$i.pcap"
  done
  mergecap -a -w "$same" "$parts"/same-*.pcap
  mergecap -a -w "$fresh" "$parts"/fresh-*.pcap
fi
peak() {
  bash "$root/benches/peak-rss.sh" "$bin" analyze --format ndjson --threads 1 "$@" |
    awk '{printf "%.1f MiB", $1 / 1024}'
}
echo "peak RssAnon, one thread:"
echo "  one play ($copies copies, $span s): $(peak "$base")"
echo "  the same, $times times back to back: $(peak "$same")"
echo "  $times times, new addresses each: $(peak "$fresh")"
echo "  the same, --knowledge-window 900: $(peak --knowledge-window 900 "$fresh")"
