#!/usr/bin/env bash
# Builds Steer the ways users and packagers do, with -Werror on: GCC and
# clang, each in Release, RelWithDebInfo and Debug. Prints one line per build
# and exits non-zero if any failed. (Not part of the test command: six builds
# take ~20 minutes on 2 CPUs.)
# usage: scripts/build-matrix.sh [BUILD_ROOT]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/tmp/steer-matrix}
"$top/scripts/setup.sh"
mkdir -p "$root"
failed=0
for cc in gcc clang; do
  cxx=$([ $cc = gcc ] && echo g++ || echo clang++)
  for type in Release RelWithDebInfo Debug; do
    dir="$root/$cc-$type"
    if CC=$cc CXX=$cxx cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=$type -DSTEER_WERROR=ON -DBUILD_TESTING=ON \
         > "$dir.log" 2>&1 && cmake --build "$dir" -j"$(nproc)" >> "$dir.log" 2>&1; then
      echo "ok     $cc $type"
    else
      echo "FAILED $cc $type (see $dir.log)"
      failed=1
    fi
  done
done
exit $failed
