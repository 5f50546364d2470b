#!/usr/bin/env bash
# Cost of software steering: steerd echo Mpps with a dispatcher (Toeplitz +
# RETA + rule lookup + ring hand-off) and 0, 100 and 1000 rules, against plain
# echo on the same port. steerd's lcores share CPU 1; steer-trafgen (as fast
# as possible, 64-byte UDP, 256 flows, one lcore for TX and RX) is on CPU 0 and
# reports what came back. The rules match no packet, so every packet pays the
# full lookup. Rounds alternate; the last line is
#   steering_mpps plain=A rules0=B rules100=C rules1000=D ratio0=B/A ratio100=C/A ratio1000=D/A
# (medians; ratios are medians of per-round ratios), after a line with
# steerd's own cycles per packet from its counter table (medians):
#   steering_cycles worker_plain=W dispatcher0=D worker0=W0 ... (for 0, 100, 1000 rules)
# usage: steering_cost.sh [build dir]   env: ROUNDS (3), SECONDS_PER_RUN (4), HUGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
STEERD=$build/controlplane/steerd
TRAFGEN=$build/tools/trafgen/steer-trafgen
ROUNDS=${ROUNDS:-3}
RUN=${SECONDS_PER_RUN:-4}
work=$(mktemp -d /tmp/steer-bench.XXXXXX)
id=$$
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work" /var/run/dpdk/steer-sc-?"$id"
  remove_hugepage_files "steer-sc-?$id"
}
trap cleanup EXIT
bench_memory
sock="/run/steer-bench-$id/p0.sock"

config() {  # $1 = plain | N rules
  {
    echo "eal: {lcores: \"0@1,1@1,2@1\", main_lcore: 0, memory_mb: 256, hugepages: $huge, file_prefix: steer-sc-d$id}"
    echo "ports:"
    echo "  - name: p0"
    echo "    device: \"net_memif0,role=server,socket=$sock,mac=02:00:00:00:00:10\""
    echo "    rx_queues: 1"
    echo "    tx_queues: 1"
    if [ "$1" != plain ]; then
      echo "    steering:"
      echo "      mode: software"
      [ "$1" -gt 0 ] && echo "      flows:"
      for i in $(seq 1 "$1"); do
        echo "        - {name: r$i, priority: $i, match: {ipv4_dst: 192.0.2.0/24, udp_dst: $((10000 + i))}, action: {queue: 0}}"
      done
      echo "lcores:"
      echo "  - {lcore: 1, dispatch: [p0:0]}"
      echo "  - {lcore: 2, poll: [p0:0]}"
    else
      echo "lcores:"
      echo "  - {lcore: 1, poll: [p0:0]}"
    fi
    echo "pipelines: [{queues: \"p0:*\", action: echo}]"
    echo "dataplane: {burst: 32, poll: adaptive, tx_retries: 0}"   # two lcores share CPU 1: they must yield
  } > "$work/steerd.yaml"
}

measure() {
  config "$1"
  "$STEERD" --config "$work/steerd.yaml" > "$work/steerd.log" 2>&1 &
  pid=$!
  until grep -q "running:" "$work/steerd.log"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/steerd.log" >&2; exit 1; }
    sleep 0.1
  done
  "$TRAFGEN" --lcores "0@0,1@0" "${mem[@]}" --no-pci --file-prefix "steer-sc-g$id" --log-level=lib.eal:warning \
    --vdev "net_memif0,role=client,socket=$sock" -- --flows 256 --rate 0 --duration "$RUN" --quiet --drain-ms 200 \
    --json "$work/out.json" > "$work/gen.log" 2>&1 || true
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=
  # steerd's own cost from its exit table: the worker lcore's cycles/pkt and,
  # steered, the dispatcher's (both count only iterations that moved packets).
  local w=1; [ "$1" != plain ] && w=2
  awk -v w="$w" '/^lcore /{t=1; next} t && $1 == w {print $NF; exit}' "$work/steerd.log" >> "$work/$1.worker"
  [ "$1" != plain ] && awk '/^dispatch /{t=1; next} t && $1 == "p0:0" {print $NF; exit}' "$work/steerd.log" >> "$work/$1.disp"
  /usr/bin/python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['rx_mpps'])" "$work/out.json"
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
cases="plain 0 100 1000"
for c in $cases; do : > "$work/$c.res"; : > "$work/$c.ratio"; : > "$work/$c.worker"; : > "$work/$c.disp"; done
for r in $(seq 1 "$ROUNDS"); do
  for c in $cases; do v=$(measure "$c"); echo "$v" >> "$work/$c.res"; declare "last_$c=$v"; done
  line="round $r plain $last_plain"
  for c in 0 100 1000; do
    v=$(eval echo "\$last_$c")
    awk -v a="$v" -v b="$last_plain" 'BEGIN{printf "%.4f\n", (b > 0 ? a / b : 0)}' >> "$work/$c.ratio"
    line="$line rules$c $v"
  done
  echo "$line" >&2
done
cyc="steering_cycles worker_plain=$(median < "$work/plain.worker")"
for c in 0 100 1000; do cyc="$cyc dispatcher$c=$(median < "$work/$c.disp") worker$c=$(median < "$work/$c.worker")"; done
echo "$cyc"
out="steering_mpps plain=$(median < "$work/plain.res")"
for c in 0 100 1000; do out="$out rules$c=$(median < "$work/$c.res")"; done
for c in 0 100 1000; do out="$out ratio$c=$(median < "$work/$c.ratio" | awk '{printf "%.3f", $1}')"; done
echo "$out"
