#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20) from its seed corpus (tests/fuzz/corpus/<target>,
# copied: the repository's seeds are not rewritten). Prints one line per
# target (executions, coverage, corpus) and fails on any crash, leak or
# sanitizer report; the reproducer is left in build-fuzz/crashes/.
# usage: scripts/fuzz.sh [TARGET...]   (packet config change text record)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-20}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(packet config change text record)
"$top/scripts/setup.sh"
command -v clang++ > /dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang libclang-rt-dev; }
dir="$top/build-fuzz"
CC=clang CXX=clang++ cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEER_FUZZ=ON -DBUILD_TESTING=OFF \
  -DSTEER_WERROR=ON > /dev/null
cmake --build "$dir" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
mkdir -p "$dir/crashes"
rc=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp "$top/tests/fuzz/corpus/$t/"* "$work/" 2> /dev/null || true
  log="$dir/fuzz_$t.log"
  if "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -max_len=10000 -timeout=10 \
       -rss_limit_mb=2048 -artifact_prefix="$dir/crashes/$t-" "$work" > "$log" 2>&1; then
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    printf 'fuzz_%-7s %10s execs in %ss  coverage %s edges, %s features  corpus %s inputs\n' \
      "$t" "$execs" "$secs" "${cov:-?}" "${ft:-?}" "$(ls "$work" | wc -l)"
  else
    echo "fuzz_$t: FAILED (see $log; reproducer in $dir/crashes/)"
    grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5 || true
    rc=1
  fi
  rm -rf "$work"
done
exit $rc
