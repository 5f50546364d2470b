#!/usr/bin/env bash
# Echo throughput: steerd's echo against dpdk-testpmd --forward-mode=macswap,
# each as the DUT on one CPU (CPU 1), both driven by the same generator
# (dpdk-testpmd --forward-mode=flowgen, 64-byte frames) on the other CPU over
# memif. The rate is what the generator receives back, averaged over the
# measuring window (testpmd's "Rx-pps since last show" after a warm-up).
# DUTs alternate, ROUNDS rounds each (default 3); the last line is
#   echo_mpps steerd=X testpmd=Y ratio=Z
# X and Y are the medians of each DUT's rounds; Z is the median of the
# per-round ratios (each round runs the two DUTs back to back, so a ratio is
# taken under the same machine conditions; the machine is shared and noisy).
# Memory: hugepages when at least 1 GiB of them is free (scripts/hugepages.sh
# reserves them), else --no-huge for all three processes (HUGE=0 forces it).
# 4 KiB pages make the rates noisier (TLB misses) but the comparison holds.
# usage: echo_vs_testpmd.sh [path/to/steerd]    env: ROUNDS, SECONDS_PER_RUN, WARMUP, HUGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
STEERD=${1:-$top/build/controlplane/steerd}
ROUNDS=${ROUNDS:-3}
RUN=${SECONDS_PER_RUN:-5}
WARMUP=${WARMUP:-2}
work=$(mktemp -d /tmp/steer-bench.XXXXXX)
bench_memory
echo "memory: hugepages=$huge (free hugepage memory ${free_huge_mb} MiB)" >&2
dut_pid=
cleanup() {
  [ -n "$dut_pid" ] && { kill -INT "$dut_pid" 2>/dev/null; sleep 0.5; kill -KILL "$dut_pid" 2>/dev/null; } || true
  rm -rf "$work" /var/run/dpdk/steer-bench-?"$id"
  remove_hugepage_files "steer-bench-?$id"
}
trap cleanup EXIT
id=$$
sock="/run/steer-bench-$id/p0.sock"
dut_mac=02:00:00:00:00:10

cat > "$work/steerd.yaml" <<YAML
eal: {lcores: "0@1,1@1", main_lcore: 0, memory_mb: 256, hugepages: $huge, file_prefix: steer-bench-d$id}
mempools: [{socket: 0, mbufs: auto, cache: 256, data_room: 2048}]
ports:
  - {name: p0, device: "net_memif0,role=server,socket=$sock,mac=$dut_mac", rx_queues: 1, tx_queues: 1, rx_desc: 1024, tx_desc: 1024}
lcores:
  - {lcore: 1, poll: [p0:0]}
pipelines:
  - {queues: "p0:*", action: echo}
dataplane: {burst: 32, poll: busy, tx_retries: 0}   # testpmd's default TX policy: no retry
YAML

start_dut() {  # $1 = steerd | testpmd
  if [ "$1" = steerd ]; then
    "$STEERD" --config "$work/steerd.yaml" > "$work/dut.log" 2>&1 &
    dut_pid=$!
    until grep -q "running:" "$work/dut.log"; do sleep 0.1; done
  else
    dpdk-testpmd --lcores "0@1,1@1" "${mem[@]}" --no-pci --file-prefix "steer-bench-t$id" \
      --vdev "net_memif0,role=server,socket=$sock,mac=$dut_mac" -- \
      --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=16384 --forward-mode=macswap --stats-period 3600 \
      > "$work/dut.log" 2>&1 &
    dut_pid=$!
    until grep -q "Port 0: " "$work/dut.log"; do sleep 0.1; done
  fi
}

stop_dut() {
  kill -INT "$dut_pid" 2>/dev/null || true
  wait "$dut_pid" 2>/dev/null || true
  dut_pid=
}

# Prints the generator's received Mpps over the window.
generate() {
  {
    sleep 1; echo "start"; sleep "$WARMUP"; echo "show port stats 0"; sleep "$RUN"; echo "show port stats 0"
    echo "stop"; sleep 0.3; echo "quit"
  } | dpdk-testpmd --lcores "0@0,1@0" "${mem[@]}" --no-pci --file-prefix "steer-bench-g$id" \
        --vdev "net_memif0,role=client,socket=$sock,mac=02:00:00:00:00:01" -- \
        -i --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=16384 --forward-mode=flowgen --eth-peer="0,$dut_mac" \
        > "$work/gen.log" 2>&1
  awk '/Rx-pps:/{v=$2} END{printf "%.3f\n", v/1e6}' "$work/gen.log"
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: > "$work/steerd.res"
: > "$work/testpmd.res"
: > "$work/ratio.res"
for r in $(seq 1 "$ROUNDS"); do
  # alternate which DUT goes first so neither always gets the warmer machine
  if [ $((r % 2)) -eq 1 ]; then order="steerd testpmd"; else order="testpmd steerd"; fi
  for dut in $order; do
    start_dut "$dut"
    mpps=$(generate)
    stop_dut
    echo "$mpps" >> "$work/$dut.res"
    declare "last_$dut=$mpps"
  done
  awk -v s="$last_steerd" -v t="$last_testpmd" 'BEGIN{printf "%.4f\n", (t > 0 ? s / t : 0)}' >> "$work/ratio.res"
  echo "round $r steerd ${last_steerd} Mpps testpmd ${last_testpmd} Mpps ratio $(tail -1 "$work/ratio.res")" >&2
done
s=$(median < "$work/steerd.res")
t=$(median < "$work/testpmd.res")
ratio=$(median < "$work/ratio.res" | awk '{printf "%.3f", $1}')
echo "echo_mpps steerd=$s testpmd=$t ratio=$ratio"
