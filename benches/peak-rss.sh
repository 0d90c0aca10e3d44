#!/usr/bin/env bash
# benches/peak-rss.sh CMD [ARG...]
# Runs CMD (its standard output discarded) and prints its peak RssAnon in
# KiB: anonymous memory (heap, stacks), without the mapped capture file,
# read from /proc/PID/status every 20 ms.
set -euo pipefail
"$@" > /dev/null &
pid=$! peak=0
while kill -0 "$pid" 2> /dev/null; do
  a=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
  [ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a
  sleep 0.02
done
wait "$pid"
echo "$peak"
