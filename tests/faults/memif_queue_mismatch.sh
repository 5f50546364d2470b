#!/usr/bin/env bash
# A memif peer with fewer queue pairs than steerd's port (issue 10): steerd
# opens 1 device RX and 2 TX queues (software steering, one dispatcher, two
# workers); steer-trafgen connects with one queue pair. Debian's memif PMD
# would let TX queue 1 write into the peer's own ring (duplicates at the
# peer, reorders at steerd). Asserts steerd never uses the unbacked queue:
#   - it says so: a log warning, "up*" and "peer backs 1 RX, 1 TX" in `steerctl ports`;
#   - the generator sees no duplicate and no reorder, and every lost packet
#     is one steerd counted (the unbacked queue's packets count as tx_dropped);
#   - p0:1's packets are counted as unbacked, p0:0's are not.
# usage: memif_queue_mismatch.sh STEERD STEERCTL TRAFGEN
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?usage: $0 STEERD STEERCTL TRAFGEN}
STEERCTL=${2:?}
TRAFGEN=${3:?}
id=$$
cat > "$E2E_DIR/steerd.yaml" <<YAML
eal: {lcores: "(0-3)@(0,1)", main_lcore: 0, memory_mb: 256, hugepages: false, file_prefix: steer-mm-d$id}
mempools: [{socket: 0, mbufs: auto, cache: 256, data_room: 2048}]
ports:
  - name: p0
    device: "net_memif0,role=server,socket=$E2E_DIR/p0.sock,mac=02:00:00:00:00:10"
    rx_queues: 2
    tx_queues: 2
    steering:
      mode: software
      rss: {types: [ipv4, ipv4-udp], reta: {size: 128, spread: [0, 1]}}
      drain: true
    audit: {flow_offset: 46, seq_offset: 50}
lcores:
  - {lcore: 1, dispatch: [p0:0]}
  - {lcore: 2, poll: [p0:0]}
  - {lcore: 3, poll: [p0:1]}
pipelines:
  - {queues: "p0:*", action: echo}
dataplane: {burst: 32, poll: adaptive}
control: {socket: $E2E_DIR/ctl.sock}
YAML
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
steerd_pid=$!
E2E_PIDS+=("$steerd_pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20
grep -q "negotiated ring counts are read from the PMD" "$E2E_DIR/steerd.log" ||
  fail "steerd could not locate memif's negotiated ring counts: $(grep memif: "$E2E_DIR/steerd.log")"

"$TRAFGEN" --lcores 0@0,1@1,2@0 --no-huge --no-pci -m 256 --file-prefix "steer-mm-g$id" \
    --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock,mac=02:00:00:00:00:01" -- \
    --rate 200000 --duration 4 --flows 64 --quiet --json "$E2E_DIR/gen.json" > "$E2E_DIR/gen.log" 2>&1 &
gen_pid=$!
E2E_PIDS+=("$gen_pid")
wait_for_line "$E2E_DIR/steerd.log" "link up" 10
"$STEERCTL" --socket "$E2E_DIR/ctl.sock" ports > "$E2E_DIR/ports.txt"
wait "$gen_pid" || true
cat "$E2E_DIR/ports.txt"
grep -q "up\*.*peer backs 1 RX, 1 TX queues" "$E2E_DIR/ports.txt" || fail "steerctl ports does not show the unbacked queues"
grep -q "the peer backs 1 of 1 RX and 1 of 2 TX queues" "$E2E_DIR/steerd.log" || fail "steerd did not warn about the unbacked queue"

kill -TERM "$steerd_pid"
wait "$steerd_pid" || fail "steerd exited non-zero"
grep -A3 '^queue ' "$E2E_DIR/steerd.log" | tail -3
# Half the flows are steered to p0:1, whose packets are dropped by design.
ACCOUNTED_MIN_SHARE=0.25 /usr/bin/python3 "$here/../e2e/accounted.py" "$E2E_DIR/gen.json" --totals "$E2E_DIR/steerd.log" || fail "loss not accounted for"
/usr/bin/python3 - "$E2E_DIR/gen.json" <<'PY' || fail "the generator saw reorders"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["reordered"] == 0 and r["duplicated"] == 0 else f"reordered {r['reordered']} duplicated {r['duplicated']}")
PY
unb() { sed -n '/^final counters/,$p' "$E2E_DIR/steerd.log" | awk -v q="$1" '$1==q {print $12; exit}'; }
[ "$(sed -n '/^final counters/,$p' "$E2E_DIR/steerd.log" | awk '$1=="queue" {print $12; exit}')" = unbacked ] ||
  fail "the queue table has no unbacked column where this test expects it"
u0=$(unb p0:0); u1=$(unb p0:1)
echo "unbacked: p0:0=$u0 p0:1=$u1"
[ "$u0" = 0 ] || fail "p0:0 is backed, yet $u0 packets were counted unbacked"
[ "${u1:-0}" -gt 1000 ] || fail "p0:1 sends on the unbacked TX queue 1, yet only ${u1:-0} packets were counted unbacked"
echo "PASS memif_queue_mismatch"
