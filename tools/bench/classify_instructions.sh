#!/usr/bin/env bash
# Instructions and (simulated) branch mispredicts per packet of the burst
# classifier, parse included: counted, not timed, so two builds compare
# exactly on a VM whose timings move 2x between minutes and that has no
# hardware performance counters. Runs `steer-bench-dispatch-cost --classifier
# --packets N` under valgrind's cachegrind (--branch-sim=yes) for N and 2N
# packets and prints, per case, the difference divided by N (setup cancels):
#   classify_instructions <case> ir_per_packet=.. mispredicts_per_packet=..
# cachegrind's predictor is a simple model, not this CPU's; valgrind does not
# run AVX-512, so the Toeplitz hash is the table form (the GFNI one costs
# fewer instructions on the real CPU). Needs valgrind (apt-get install
# valgrind); a case takes ~10 s.
# usage: classify_instructions.sh [build dir]   env: CASES (default: the
# v4udp-1k cases at 0 and 1,000 rules in one group), PACKETS (320000),
# BENCH_ARGS (more options for the bench: --general counts a table without
# rules on the dispatcher's path for tables with rules, not its RETA-only one)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
bench=$build/tools/bench/steer-bench-dispatch-cost
n=${PACKETS:-320000}
command -v valgrind > /dev/null || {
  echo "classify_instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
}
[ -x "$bench" ] || {
  echo "classify_instructions.sh: no $bench; build first" >&2
  exit 2
}
IFS=',' read -r -a cases <<< "${CASES:-v4udp-1k rules=0 groups=0 hit=0,v4udp-1k rules=1000 groups=1 hit=0}"
out=$(mktemp /tmp/steer-cinstr.XXXXXX)
trap 'rm -f "$out"' EXIT
# Prints "instructions mispredicts" of one run; nothing when the bench did not
# classify exactly one case.
count() {
  valgrind --tool=cachegrind --cache-sim=no --branch-sim=yes --cachegrind-out-file=/dev/null \
    "$bench" --classifier ${BENCH_ARGS:-} --only "$1" --packets "$2" 2> "$out.err" > "$out" || true
  if [ "$(grep -c '^classify_run ' "$out")" = 1 ]; then
    awk '/I *refs:/ {gsub(",", "", $4); ir = $4} /Mispredicts:/ {gsub(",", "", $3); mp = $3} END {print ir, mp}' "$out.err"
  fi
  rm -f "$out.err"
}
for c in "${cases[@]}"; do
  # one run after the other (they share $out): $( ) waits, < <( ) would not
  r1=$(count "$c" "$n")
  r2=$(count "$c" $((2 * n)))
  read -r i1 m1 <<< "$r1" || true
  read -r i2 m2 <<< "$r2" || true
  if [ -z "$i1" ] || [ -z "$i2" ]; then
    echo "classify_instructions.sh: \"$c\" is not one case of steer-bench-dispatch-cost, or it failed" >&2
    exit 1
  fi
  awk -v c="$c" -v n="$n" -v i1="$i1" -v i2="$i2" -v m1="$m1" -v m2="$m2" \
    'BEGIN {printf "classify_instructions %s ir_per_packet=%.1f mispredicts_per_packet=%.3f\n", c, (i2 - i1) / n, (m2 - m1) / n}'
done
