#!/usr/bin/env bash
# benches/page-cache.sh [CAPTURE]
# How much of a capture's page cache the kernel can map 2 MiB at a time
# (2 MiB folios): mapping it then costs one page-table entry per 2 MiB
# instead of 512, for callpath and the floor program alike (callpath's
# one-thread run on the reference capture 2.5-5 % faster; benches/README.md,
# twelfth session). A capture read from disk with read calls (`cat`) is
# mostly in 2 MiB folios; one just written, or faulted in around pages
# already cached, in small ones. Maps the capture, touches one byte per
# 2 MiB and reads FilePmdMapped from /proc/self/smaps: run it on a capture
# already cached (compare.sh runs it after the timings), as faulting an
# uncached one in would itself choose its folios. Needs python3.
set -euo pipefail
pcap=${1:-${BENCH_PCAP:-/tmp/bench.pcap}}
python3 - "$pcap" <<'PY'
import mmap, os, sys
path = sys.argv[1]
with open(path, "rb") as f:
    size = os.fstat(f.fileno()).st_size
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    for off in range(0, size, 2 << 20):
        m[off]
    pmd_kib = sum(int(line.split()[1]) for line in open("/proc/self/smaps")
                  if line.startswith("FilePmdMapped:"))
    m.close()
print(f"{path}: {pmd_kib / 1024:.0f} of {size / 2**20:.0f} MiB of its page cache "
      "mappable by 2 MiB entries")
PY
