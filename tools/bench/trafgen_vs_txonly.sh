#!/usr/bin/env bash
# Generator speed: steer-trafgen (send only, as fast as possible, 64-byte UDP,
# 64 flows) against dpdk-testpmd --forward-mode=txonly (64-byte frames), each
# on CPU 0 as a memif client, both sending into the same sink:
# dpdk-testpmd --forward-mode=rxonly on CPU 1 (memif server). The rate is what
# the sink receives, averaged over the window after a warm-up ("Rx-pps since
# last show"). Rounds alternate the order; the last line is
#   trafgen_mpps trafgen=X txonly=Y ratio=Z
# X, Y: medians of each; Z: median of the per-round ratios.
# usage: trafgen_vs_txonly.sh [path/to/steer-trafgen]   env: ROUNDS (3), SECONDS_PER_RUN (5), WARMUP (2), HUGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
TRAFGEN=${1:-$top/build/tools/trafgen/steer-trafgen}
ROUNDS=${ROUNDS:-3}
RUN=${SECONDS_PER_RUN:-5}
WARMUP=${WARMUP:-2}
work=$(mktemp -d /tmp/steer-bench.XXXXXX)
id=$$
gen_pid=
cleanup() {
  [ -n "$gen_pid" ] && kill -KILL "$gen_pid" 2>/dev/null || true
  rm -rf "$work" /var/run/dpdk/steer-tgb-?"$id"
  remove_hugepage_files "steer-tgb-?$id"
}
trap cleanup EXIT
bench_memory
echo "memory: ${mem[*]}" >&2
sock="/run/steer-bench-$id/p0.sock"

# One round for one generator: prints the sink's Mpps over the window.
measure() {
  local gen=$1 total=$((WARMUP + RUN + 3))
  {
    sleep 1; echo "start"; sleep $((WARMUP + 1)); echo "show port stats 0"; sleep "$RUN"; echo "show port stats 0"
    echo "stop"; sleep 0.3; echo "quit"
  } | dpdk-testpmd --lcores "0@1,1@1" "${mem[@]}" --no-pci --file-prefix "steer-tgb-s$id" \
        --vdev "net_memif0,role=server,socket=$sock" -- -i --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=16384 \
        --forward-mode=rxonly > "$work/sink.log" 2>&1 &
  local sink=$!
  sleep 1
  if [ "$gen" = trafgen ]; then
    "$TRAFGEN" --lcores "0@0,1@0" "${mem[@]}" --no-pci --file-prefix "steer-tgb-g$id" --log-level=lib.eal:warning \
      --vdev "net_memif0,role=client,socket=$sock" -- --no-rx --flows 64 --size 64 --rate 0 --duration "$total" --quiet \
      > "$work/gen.log" 2>&1 &
  else
    dpdk-testpmd --lcores "0@0,1@0" "${mem[@]}" --no-pci --file-prefix "steer-tgb-t$id" \
      --vdev "net_memif0,role=client,socket=$sock" -- --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=16384 \
      --forward-mode=txonly --txpkts=64 --stats-period 3600 > "$work/gen.log" 2>&1 &
  fi
  gen_pid=$!
  wait "$sink" || true
  kill -INT "$gen_pid" 2>/dev/null || true
  wait "$gen_pid" 2>/dev/null || true
  gen_pid=
  awk '/Rx-pps:/{v=$2} END{printf "%.3f\n", v/1e6}' "$work/sink.log"
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: > "$work/trafgen.res"; : > "$work/txonly.res"; : > "$work/ratio.res"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="trafgen txonly"; else order="txonly trafgen"; fi
  for g in $order; do
    v=$(measure "$g")
    echo "$v" >> "$work/$g.res"
    declare "last_$g=$v"
  done
  awk -v a="$last_trafgen" -v b="$last_txonly" 'BEGIN{printf "%.4f\n", (b > 0 ? a / b : 0)}' >> "$work/ratio.res"
  echo "round $r trafgen ${last_trafgen} Mpps txonly ${last_txonly} Mpps ratio $(tail -1 "$work/ratio.res")" >&2
done
echo "trafgen_mpps trafgen=$(median < "$work/trafgen.res") txonly=$(median < "$work/txonly.res") ratio=$(median < "$work/ratio.res" | awk '{printf "%.3f", $1}')"
