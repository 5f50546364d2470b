#!/usr/bin/env bash
# Echo cost per packet: steerd's echo worker against dpdk-testpmd macswap, in
# CPU cycles per packet each reports for its own forwarding lcore (issue 12's
# parity goal: ratio <= 1.02). steerd: the worker lcore's busy cycles / RX
# (the counter table's cycles/pkt, printed at exit); testpmd: its
# --record-core-cycles "CPU cycles/packet" at stop. Both count only loop
# iterations that moved packets, so an idle or starved DUT does not inflate
# them.
#   PORT=null  (default) net_null copy=0, 64-byte frames: RX never runs dry,
#              so the DUT is the bottleneck; nothing else runs.
#   PORT=memif a memif server port driven by dpdk-testpmd flowgen (64-byte
#              UDP) on the other CPU, as echo_vs_testpmd.sh.
# The DUT's forwarding lcore is on CPU 1, its main lcore on CPU 0. DUTs
# alternate, ROUNDS rounds (default 5); the last line is
#   echo_cycles port=P steerd=X testpmd=Y ratio=Z
# X and Y the medians of each DUT's rounds, Z the median of the per-round
# ratios steerd/testpmd (lower is cheaper; each round runs both back to back).
# The two counters do not span the same work: testpmd's reads the TSC inside
# its forwarding function and leaves out its outer loop, steerd's covers whole
# loop iterations (at 100% busy, the inverse of its throughput). So on
# PORT=null, where the DUT is the bottleneck, the line also carries
#   by_rate: testpmd=Y' ratio=Z'
# Y' testpmd's cycles per packet from its throughput (TSC Hz over the median
# Rx-pps of its steady seconds, --stats-period 1), Z' the median of the
# per-round steerd/Y' ratios: the same span on both sides.
# usage: echo_cycles.sh [path/to/steerd]   env: PORT, ROUNDS, SECONDS_PER_RUN (4), HUGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
STEERD=${1:-$top/build/controlplane/steerd}
PORT=${PORT:-null}
ROUNDS=${ROUNDS:-5}
RUN=${SECONDS_PER_RUN:-4}
work=$(mktemp -d /tmp/steer-bench.XXXXXX)
bench_memory
echo "memory: hugepages=$huge (free hugepage memory ${free_huge_mb} MiB), port: $PORT" >&2
id=$$
dut_pid=
gen_pid=
cleanup() {
  [ -n "${KEEP:-}" ] && cp -r "$work" "$KEEP" 2>/dev/null || true
  [ -n "$gen_pid" ] && kill -KILL "$gen_pid" 2>/dev/null || true
  [ -f "$work/sleeper.pid" ] && kill -KILL "$(cat "$work/sleeper.pid")" 2>/dev/null || true
  [ -n "$dut_pid" ] && { kill -INT "$dut_pid" 2>/dev/null; sleep 0.5; kill -KILL "$dut_pid" 2>/dev/null; } || true
  rm -rf "$work" /var/run/dpdk/steer-ec-?"$id" "/run/steer-ec-$id"
  remove_hugepage_files "steer-ec-?$id"
}
trap cleanup EXIT
sock="/run/steer-ec-$id/p0.sock"
dut_mac=02:00:00:00:00:10
case "$PORT" in
  null) dev="net_null0,copy=0,size=64" ;;
  memif) dev="net_memif0,role=server,socket=$sock,mac=$dut_mac" ;;
  *) echo "PORT is null or memif, not $PORT" >&2; exit 2 ;;
esac

cat > "$work/steerd.yaml" <<YAML
eal: {lcores: "0@0,1@1", main_lcore: 0, memory_mb: 256, hugepages: $huge, file_prefix: steer-ec-d$id}
mempools: [{socket: 0, mbufs: 16384, cache: 256, data_room: 2048}]
ports:
  - {name: p0, device: "$dev", rx_queues: 1, tx_queues: 1, rx_desc: 1024, tx_desc: 1024}
lcores:
  - {lcore: 1, poll: [p0:0]}
pipelines:
  - {queues: "p0:*", action: echo}
dataplane: {burst: 32, poll: busy, tx_retries: 0}   # testpmd's default TX policy: no retry
YAML

# The generator (memif only), in the background until killed.
start_gen() {
  [ "$PORT" = memif ] || return 0
  # testpmd -i quits at the end of its input: a sleeper keeps it open, and
  # stop_gen kills that too (else it would hold this function's output).
  { sleep 1; echo "start"; sleep 3600 & echo $! > "$work/sleeper.pid"; wait; } 2> /dev/null | dpdk-testpmd --lcores "0@0,1@0" "${mem[@]}" --no-pci \
      --file-prefix "steer-ec-g$id" --vdev "net_memif0,role=client,socket=$sock,mac=02:00:00:00:00:01" -- \
      -i --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=16384 --forward-mode=flowgen --eth-peer="0,$dut_mac" \
      > "$work/gen.log" 2>&1 &
  gen_pid=$!
}

stop_gen() {
  [ -n "$gen_pid" ] || return 0
  kill -KILL "$gen_pid" 2>/dev/null || true
  [ -f "$work/sleeper.pid" ] && kill -KILL "$(cat "$work/sleeper.pid")" 2>/dev/null || true
  rm -f "$work/sleeper.pid"
  wait "$gen_pid" 2>/dev/null || true
  gen_pid=
  rm -rf /var/run/dpdk/steer-ec-g"$id"
}

# Runs one DUT for RUN seconds of traffic; prints its cycles per packet.
measure() {  # $1 = steerd | testpmd
  mkdir -p "/run/steer-ec-$id"
  if [ "$1" = steerd ]; then
    "$STEERD" --config "$work/steerd.yaml" > "$work/dut.log" 2>&1 &
    dut_pid=$!
    until grep -q "running:" "$work/dut.log"; do sleep 0.1; done
    start_gen
    sleep "$RUN"
    kill -INT "$dut_pid"; wait "$dut_pid" 2>/dev/null || true
    dut_pid=
    stop_gen
    # The lcore table's row for lcore 1; its last column is cycles/pkt.
    awk '/^lcore /{t=1; next} t && $1 == "1" {v=$NF} /^$/{t=0} END{print v}' "$work/dut.log"
  else
    # --stats-period: testpmd prints each second's rates and forwards until
    # SIGINT, then prints its cycles/packet as with the interactive stop.
    timeout -s INT $((RUN + 2)) dpdk-testpmd --lcores "0@0,1@1" "${mem[@]}" --no-pci \
        --file-prefix "steer-ec-t$id" --vdev "$dev" -- \
        --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=16384 --forward-mode=macswap --record-core-cycles \
        --stats-period 1 > "$work/dut.log" 2>&1 &
    dut_pid=$!
    until grep -q "Port 0: " "$work/dut.log"; do sleep 0.1; done  # (stdout to a file is block-buffered)
    start_gen
    wait "$dut_pid" 2>/dev/null || true
    dut_pid=
    stop_gen
    sed -nE 's/.*CPU cycles\/packet=([0-9.]+).*/\1/p' "$work/dut.log" | tail -1
  fi
}

# testpmd's cycles per packet from its throughput in the last run: TSC MHz
# (from its cycles line) over the median Rx-pps of the seconds after the first
# and before the last (start-up and the stop).
testpmd_by_rate() {
  local mhz
  mhz=$(sed -nE 's/.* at ([0-9]+) MHz Clock.*/\1/p' "$work/dut.log" | tail -1)
  grep -oE "Rx-pps: +[0-9]+" "$work/dut.log" | awk '{print $2}' | sed '1d;$d' | median |
    awk -v mhz="$mhz" '$1 > 0 && mhz > 0 {printf "%.2f\n", mhz * 1e6 / $1}'
}

median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: > "$work/steerd.res"
: > "$work/testpmd.res"
: > "$work/ratio.res"
: > "$work/rate.res"
: > "$work/rate_ratio.res"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="steerd testpmd"; else order="testpmd steerd"; fi
  for dut in $order; do
    c=$(measure "$dut")
    if [ -z "$c" ]; then
      echo "$dut reported no cycles per packet; its log:" >&2
      tail -20 "$work/dut.log" >&2
      exit 1
    fi
    echo "$c" >> "$work/$dut.res"
    declare "last_$dut=$c"
    if [ "$dut" = testpmd ] && [ "$PORT" = null ]; then
      last_rate=$(testpmd_by_rate)
      if [ -z "$last_rate" ]; then
        echo "testpmd printed no Rx-pps; its log:" >&2
        tail -20 "$work/dut.log" >&2
        exit 1
      fi
      echo "$last_rate" >> "$work/rate.res"
    fi
  done
  awk -v s="$last_steerd" -v t="$last_testpmd" 'BEGIN{printf "%.4f\n", (t > 0 ? s / t : 0)}' >> "$work/ratio.res"
  extra=
  if [ "$PORT" = null ]; then
    awk -v s="$last_steerd" -v t="$last_rate" 'BEGIN{printf "%.4f\n", (t > 0 ? s / t : 0)}' >> "$work/rate_ratio.res"
    extra=" (by rate: testpmd ${last_rate}, ratio $(tail -1 "$work/rate_ratio.res"))"
  fi
  echo "round $r steerd ${last_steerd} testpmd ${last_testpmd} cycles/packet ratio $(tail -1 "$work/ratio.res")$extra" >&2
done
s=$(median < "$work/steerd.res")
t=$(median < "$work/testpmd.res")
ratio=$(median < "$work/ratio.res" | awk '{printf "%.3f", $1}')
line="echo_cycles port=$PORT steerd=$s testpmd=$t ratio=$ratio"
if [ "$PORT" = null ]; then
  line="$line by_rate: testpmd=$(median < "$work/rate.res") ratio=$(median < "$work/rate_ratio.res" | awk '{printf "%.3f", $1}')"
fi
echo "$line"
