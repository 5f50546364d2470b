#!/usr/bin/env bash
# Runs CI (.ci/run) N times in a row, each on a fresh clone of this repo's
# HEAD, and prints one line per run and a summary: what issue 9's "a suite
# that never lies" is measured with. STRESS=1 runs `stress-ng --cpu 1` beside
# every run (Debian's stress-ng; installed if missing). Where ccache is
# installed it caches compiles between the clones (CMAKE_*_COMPILER_LAUNCHER):
# the source tree and build directory are fresh each time, the compiler's
# output is not recompiled.
# usage: scripts/ci-repeat.sh [N]   env: STRESS=0|1, KEEP=1 (keep the logs)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
logs=$(mktemp -d /tmp/steer-ci-repeat.XXXXXX)
if command -v ccache > /dev/null; then
  # every clone has another path: hash paths relative to /tmp, ignore the cwd
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR=/tmp CCACHE_NOHASHDIR=1
fi
if [ "${STRESS:-0}" = 1 ] && ! command -v stress-ng > /dev/null; then
  apt-get update > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y stress-ng > /dev/null
fi
pass=0
for i in $(seq 1 "$n"); do
  clone=/tmp/steer-ci-clone  # the same path each time, so compiles are cached; emptied below
  rm -rf "$clone"
  git clone -q "$top" "$clone"
  stress=
  if [ "${STRESS:-0}" = 1 ]; then
    stress-ng --cpu 1 --timeout 3600 > /dev/null 2>&1 &
    stress=$!
  fi
  start=$SECONDS
  (cd "$clone" && CI=true bash .ci/run) > "$logs/run$i.log" 2>&1 < /dev/null
  rc=$?
  [ -n "$stress" ] && kill "$stress" 2> /dev/null && wait "$stress" 2> /dev/null
  summary=$(grep -E 'tests passed|tests failed' "$logs/run$i.log" | tail -1)
  failed=$(grep -E '^\s+[0-9]+ - ' "$logs/run$i.log" | tr -s ' ' | tr '\n' ';')
  echo "run $i: exit $rc in $((SECONDS - start)) s: $summary ${failed}"
  [ $rc -eq 0 ] && pass=$((pass + 1))
  rm -rf "$clone"
done
echo "ci-repeat stress=${STRESS:-0} runs=$n passed=$pass failed=$((n - pass)) logs=$logs"
[ "${KEEP:-0}" = 1 ] || [ $pass -ne "$n" ] || rm -rf "$logs"
[ $pass -eq "$n" ]
