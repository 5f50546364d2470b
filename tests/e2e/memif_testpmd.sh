#!/usr/bin/env bash
# Cross-process: steerd is the memif server and echoes; dpdk-testpmd is the
# memif client generating traffic. Checks that echoed frames come back with
# source and destination swapped, and that the counters of both sides agree
# packet for packet.
# usage: memif_testpmd.sh STEERD
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
STEERD=${1:?usage: $0 path/to/steerd}
TESTPMD=${TESTPMD:-dpdk-testpmd}
command -v "$TESTPMD" >/dev/null || fail "dpdk-testpmd not found (Debian package dpdk-dev)"

id=$$
steer_mac=02:00:00:00:00:10
peer_mac=02:00:00:00:00:01
sock="/run/steer-e2e-$id/p0.sock"
memif_echo_yaml "$E2E_DIR/steerd.yaml" "(0-1)@(0,1)" "steer-e2e-d$id" "$sock" "$steer_mac" adaptive

"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
steerd_pid=$!
E2E_PIDS+=("$steerd_pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20

# testpmd reads its commands from stdin; the sleeps pace the phases:
# 1) one burst of txonly frames, received in rxonly with verbose dumps (MAC check)
# 2) flowgen for 2 s, 3) rxonly for 1 s so every echo in flight is received.
{
  sleep 1
  echo "set verbose 1"; echo "set fwd rxonly"; echo "start tx_first"; sleep 1; echo "stop"
  echo "set verbose 0"; echo "set fwd flowgen"; echo "start"; sleep 2; echo "stop"
  echo "set fwd rxonly"; echo "start"; sleep 1; echo "stop"
  echo "show port stats 0"; sleep 0.5; echo "quit"
} | timeout 60 "$TESTPMD" --lcores "0@0,1@1" --no-huge --no-pci -m 256 --file-prefix "steer-e2e-g$id" \
      --vdev "net_memif0,role=client,socket=$sock,mac=$peer_mac" -- \
      -i --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs=8192 --eth-peer="0,$steer_mac" \
      > "$E2E_DIR/testpmd.log" 2>&1 || { tail -30 "$E2E_DIR/testpmd.log"; fail "testpmd exited non-zero"; }

kill -TERM "$steerd_pid"
wait "$steerd_pid" || fail "steerd exited non-zero after SIGTERM"
grep -q "final counters" "$E2E_DIR/steerd.log" || fail "steerd printed no final counters"

# 1) MAC swap, seen by the peer.
swapped=$(grep -ci "$steer_mac - dst=$peer_mac" "$E2E_DIR/testpmd.log" || true)
unswapped=$(grep -ci "$peer_mac - dst=$steer_mac" "$E2E_DIR/testpmd.log" || true)
[ "$swapped" -ge 32 ] || { tail -40 "$E2E_DIR/testpmd.log"; fail "expected >= 32 echoed frames with swapped MACs, saw $swapped"; }
[ "$unswapped" -eq 0 ] || fail "$unswapped frames came back with their MACs unswapped"

# 2) Counters agree on both sides.
tp_rx=$(awk '/######## NIC statistics for port 0/{f=1} f && /RX-packets:/{print $2; exit}' "$E2E_DIR/testpmd.log")
tp_tx=$(awk '/######## NIC statistics for port 0/{f=1} f && /TX-packets:/{print $2; exit}' "$E2E_DIR/testpmd.log")
totals=$(grep '^totals:' "$E2E_DIR/steerd.log" | tail -1)
st_rx=$(sed -E 's/.* rx=([0-9]+).*/\1/' <<<"$totals")
st_tx=$(sed -E 's/.* tx=([0-9]+).*/\1/' <<<"$totals")
st_drop=$(sed -E 's/.* tx_dropped=([0-9]+).*/\1/' <<<"$totals")
echo "testpmd: tx=$tp_tx rx=$tp_rx; steerd: rx=$st_rx tx=$st_tx tx_dropped=$st_drop; swapped frames seen=$swapped"
[ -n "$tp_rx" ] && [ -n "$st_rx" ] || fail "could not read the counters"
[ "$tp_tx" -gt 1000 ] || fail "too little traffic to judge ($tp_tx packets)"
[ "$st_rx" -eq "$tp_tx" ] || fail "steerd received $st_rx but testpmd sent $tp_tx"
[ "$st_tx" -eq "$tp_rx" ] || fail "steerd sent $st_tx but testpmd received $tp_rx"
[ $((st_tx + st_drop)) -eq "$st_rx" ] || fail "steerd: rx $st_rx != tx $st_tx + tx_dropped $st_drop"
echo "PASS memif_testpmd"
