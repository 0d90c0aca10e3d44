#!/usr/bin/env bash
# benches/pgo.sh
# A profile-guided release build of callpath: the way to make the binary
# the speed figures of benches/README.md call "PGO build". Prints the
# binary's path (target/pgo/release/callpath).
#
# 1. builds an instrumented binary (target/pgo-gen);
# 2. trains it on the project's own sample calls (samples/rewritten),
#    replicated by the shared kit's make-bench-pcap.sh into one capture of
#    about 420 k packets (PGO_COPIES, default 100), read with one thread
#    and with two;
#    never on the reference capture or the corpus it is made from, so the
#    figures it gives are not trained on what they measure;
# 3. rebuilds with the merged profile (target/pgo).
#
# The training needs long runs: a profile of many short runs is
# dominated by start-up (signatures, geolocation) and taught the compiler
# little (bench capture, paired rounds: 479 corpus captures read one by one
# gave 0.998 of the plain build's time, 0.927-1.028).
# Needs llvm-profdata (`rustup component add llvm-tools`), tshark's editcap,
# mergecap and capinfos and tcpreplay's tcprewrite (for the kit's script).
# Output is the same as the plain build's: the profile only changes how
# the code is laid out and inlined.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kit=${BENCH_KIT:-$root/../shared/bench}
copies=${PGO_COPIES:-100}
[ -d "$kit" ] || { echo "benchmark kit not found at $kit (set BENCH_KIT)" >&2; exit 1; }
bin_dir="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | awk '/^host:/ {print $2}')/bin"
profdata="$bin_dir/llvm-profdata"
if [ ! -x "$profdata" ]; then
  rustup component add llvm-tools >&2 ||
    { echo "llvm-profdata not found: rustup component add llvm-tools" >&2; exit 1; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# RUSTFLAGS replaces any from the environment for both builds: the profile
# must come from the code and flags it is used with.
RUSTFLAGS="-Cprofile-generate=$work/raw" cargo build --quiet --release \
  --manifest-path "$root/Cargo.toml" --target-dir "$root/target/pgo-gen"
bash "$kit/make-bench-pcap.sh" "$root/samples/rewritten" "$work/train.pcap" "$copies" \
  > "$work/make.log" 2>&1 || { cat "$work/make.log" >&2; exit 1; }
# One thread and two: each layout of the run has code of its own.
for threads in 1 2; do
  LLVM_PROFILE_FILE="$work/raw/%p.profraw" "$root/target/pgo-gen/release/callpath" \
    analyze --format ndjson --threads "$threads" "$work/train.pcap" > /dev/null
done
"$profdata" merge -o "$work/callpath.profdata" "$work/raw"
RUSTFLAGS="-Cprofile-use=$work/callpath.profdata" cargo build --quiet --release \
  --manifest-path "$root/Cargo.toml" --target-dir "$root/target/pgo"
echo "$root/target/pgo/release/callpath"
