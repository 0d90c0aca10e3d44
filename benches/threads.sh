#!/usr/bin/env bash
# benches/threads.sh [RUNS]
# --threads 1 and --threads 2 on the reference capture (BENCH_PCAP, default
# /tmp/bench.pcap), alternating so that a noisy machine hits both alike;
# prints every run's wall and CPU seconds, the steal time meanwhile (time
# the host ran something else while a processor of this machine waited for
# it, /proc/stat, both processors added up) and checks the outputs are
# identical, and each round's speed-up (one thread's wall time over two
# threads', run one after the other) with their median: a slow spell of a
# shared machine moves both runs of a round. Two threads gain little while
# steal is high: the host is not giving this machine two processors at
# once. CALLPATH_BIN times another build (e.g. benches/pgo.sh's). Needs a C
# compiler (cc) for benches/core-to-core.c.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pcap=${BENCH_PCAP:-/tmp/bench.pcap}
runs=${1:-5}
[ -s "$pcap" ] || bash "${BENCH_KIT:-$root/../shared/bench}/build-bench-pcap.sh" "$pcap"
bin=${CALLPATH_BIN:-$root/target/release/callpath}
[ -n "${CALLPATH_BIN:-}" ] || cargo build --quiet --release --manifest-path "$root/Cargo.toml"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The cross-core round trip before and after each two-thread run (see
# benches/core-to-core.c): two threads are fast only while the two
# processors share a cache, and this machine's processors move.
cc -O2 -pthread "$root/benches/core-to-core.c" -o "$out/core-to-core"
steal() { awk '/^cpu / {print $9}' /proc/stat; }
for _ in $(seq "$runs"); do
  for t in 1 2; do
    before=$(steal)
    trip=$("$out/core-to-core")
    /usr/bin/time -f "$t %e %U %S" -o "$out/time" "$bin" analyze --format ndjson --threads "$t" "$pcap" > "$out/$t.ndjson"
    echo "$(cat "$out/time") $(($(steal) - before)) $trip $("$out/core-to-core")"
  done
done | awk '{wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " ($3 + $4); st[$1] = st[$1] " " $5 / 100
    if ($1 == 1) one = $2
    else {
      n++; ratio[n] = one / $2; trips = trips " " $6 "/" $7
      # A round counts as shared-cache or not when the trip agrees before
      # and after its two-thread run.
      if ($6 < 200 && $7 < 200) near = near sprintf(" %.2f", one / $2)
      else if ($6 >= 200 && $7 >= 200) far = far sprintf(" %.2f", one / $2)
    }}
  END {for (t in wall) print "threads " t "  wall:" wall[t] "  cpu:" cpu[t] "  steal:" st[t]
    print "cross-core round trip (ns) before/after each two-thread run:" trips
    print "rounds with a shared cache:" near "  without:" far
    # Each round: one thread over two threads, run back to back.
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ratio[j] < ratio[i]) { x = ratio[i]; ratio[i] = ratio[j]; ratio[j] = x }
    line = ""; for (i = 1; i <= n; i++) line = line sprintf(" %.2f", ratio[i])
    mid = (n % 2) ? ratio[(n + 1) / 2] : (ratio[n / 2] + ratio[n / 2 + 1]) / 2
    printf "one thread over two, per round:%s  median %.2fx\n", line, mid}'
cmp "$out/1.ndjson" "$out/2.ndjson" && echo "outputs of --threads 1 and 2 identical"
