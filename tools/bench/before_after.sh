#!/usr/bin/env bash
# A/B of two builds of Steer in one run, for a change that must not cost
# anything (issue 9's restructure): the echo ratio against dpdk-testpmd
# (echo_vs_testpmd.sh, one round per build per pass) and the change latency
# of both backends (steer-bench-change-latency), the builds alternating
# within each pass so both see the same machine. Per-pass lines go to
# stderr; the last line is
#   before_after echo_ratio before=X after=Y drain_p50_us sw before=.. after=.. hw before=.. after=..
# with X, Y medians of the per-pass echo ratios (steerd/testpmd) and the
# drain/apply figures medians of the per-pass p50s.
# usage: before_after.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [PASSES]   env: CHANGES (default 2000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
before=${1:?usage: $0 BEFORE_BUILD AFTER_BUILD [PASSES]}
after=${2:?usage: $0 BEFORE_BUILD AFTER_BUILD [PASSES]}
passes=${3:-3}
changes=${CHANGES:-2000}
work=$(mktemp -d /tmp/steer-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
bench() { find "$1" -name steer-bench-change-latency -type f | head -1; }
median() { sort -g | awk '{v[NR]=$1} END{if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
field() { sed -nE "s/.* $1=([0-9.]+).*/\1/p"; }
for p in $(seq 1 "$passes"); do
  if [ $((p % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for which in $order; do
    dir=${!which}
    e=$(ROUNDS=1 "$here/echo_vs_testpmd.sh" "$dir/controlplane/steerd" 2>/dev/null | tail -1)
    echo "$e" | field ratio >> "$work/echo.$which"
    for backend in software model-nic; do
      c=$("$(bench "$dir")" "$changes" 40 "$backend" 2>/dev/null | tail -1)
      echo "$c" | field drain_p50_us >> "$work/drain.$backend.$which"
      echo "$c" | field apply_p50_us >> "$work/apply.$backend.$which"
      echo "pass $p $which $backend: $c" >&2
    done
    echo "pass $p $which echo: $e" >&2
  done
done
m() { median < "$work/$1"; }
echo "before_after echo_ratio before=$(m echo.before) after=$(m echo.after)" \
  "apply_p50_us sw before=$(m apply.software.before) after=$(m apply.software.after)" \
  "hw before=$(m apply.model-nic.before) after=$(m apply.model-nic.after)" \
  "drain_p50_us sw before=$(m drain.software.before) after=$(m drain.software.after)" \
  "hw before=$(m drain.model-nic.before) after=$(m drain.model-nic.after)"
