#!/usr/bin/env bash
# benches/many-flows.sh [FLOWS] [BIN]
# Peak anonymous memory with many flows open at once: writes a capture of
# FLOWS (default 300000) one-packet UDP flows from distinct sources within
# one minute (all still open at the end: the UDP timeout is 120 s), runs
# `BIN analyze --format ndjson` on one and two threads and prints peak
# RssAnon (`benches/peak-rss.sh`) and RssAnon per flow. The reference
# capture peaks near 28,000 open flows; this shows how memory grows with
# the flow table itself. Needs python3. Default BIN: this checkout's
# release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
flows=${1:-300000}
bin=${2:-}
if [ -z "$bin" ]; then
  cargo build --quiet --release --manifest-path "$root/Cargo.toml"
  bin=$root/target/release/callpath
fi
pcap=${MANY_FLOWS_PCAP:-/tmp/callpath-many-flows-$flows.pcap}
if [ ! -s "$pcap" ]; then
  python3 - "$flows" "$pcap" <<'EOF'
import struct, sys
flows, path = int(sys.argv[1]), sys.argv[2]
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    per_second = max(1, flows // 60)
    for i in range(flows):
        payload = b"x" * 16
        udp = struct.pack("!HHHH", 1024 + i % 50000, 5000, 8 + len(payload), 0) + payload
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         src, bytes([192, 0, 2, 1]))
        frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
        usec = (i % per_second) * (1_000_000 // per_second)
        f.write(struct.pack("<IIII", 1704067200 + i // per_second, usec, len(frame), len(frame)))
        f.write(frame)
EOF
fi
for threads in 1 2; do
  kib=$(bash "$root/benches/peak-rss.sh" "$bin" analyze --format ndjson --threads "$threads" "$pcap")
  awk -v t="$threads" -v k="$kib" -v n="$flows" \
    'BEGIN { printf "threads %d: peak RssAnon %.1f MiB, %.2f KB per open flow (%d flows)\n", t, k / 1024, k * 1024 / n / 1000, n }'
done
