#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>/) from real captures: the
# repository's samples/*.pcap and, when present, ../shared/corpus/ndpi
# (never copied into the repository: corpus/ is git-ignored).
# Needs tshark and python3. Usage: fuzz/seed.sh [capture-dir ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
    dirs=("$root/samples")
    [ -d "$root/../shared/corpus/ndpi" ] && dirs+=("$root/../shared/corpus/ndpi")
fi
command -v tshark >/dev/null || { echo "seed.sh: tshark is needed" >&2; exit 2; }
mkdir -p "$here/corpus"
files=$(find "${dirs[@]}" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
# One tshark pass per capture: the protocol stack and the L4 payload of every packet.
for f in $files; do
    tshark -n -r "$f" -o rtp.heuristic_rtp:TRUE -o rtcp.heuristic_rtcp:TRUE \
        -T fields -E separator='|' -e frame.protocols -e udp.payload -e tcp.payload 2>/dev/null || true
done | python3 "$here/seed_payloads.py" "$here/corpus"
python3 "$here/seed_captures.py" "$here/corpus" $files
# --filter expressions, each before the first frame of a sample (the
# filter target's first byte is the expression's length).
python3 - "$here/corpus/filter" "$root/samples/direct-call.pcap" <<'PY'
import os, struct, sys
out, pcap = sys.argv[1], open(sys.argv[2], "rb").read()
incl = struct.unpack("<I", pcap[32:36])[0]
frame = pcap[40:40 + incl]
os.makedirs(out, exist_ok=True)
for i, text in enumerate(["host 192.168.1.10", "udp and not port 53",
                          "src net 10.0.0.0/8 or (tcp && dst portrange 1-1024)",
                          "! ip6 || icmp6", "dst host fd00::1"]):
    open(os.path.join(out, f"seed-{i}"), "wb").write(bytes([len(text)]) + text.encode() + frame)
PY
for d in "$here"/corpus/*/; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
