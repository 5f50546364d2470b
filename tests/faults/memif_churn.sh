#!/usr/bin/env bash
# A memif peer that leaves mid-stream, again and again (issue 10): steerd
# (busy poll, so its worker is always inside a burst) echoes for a client
# that disconnects under full-rate traffic CYCLES times (steer-test-memif-peer
# stops its port, which makes the PMD send DISCONNECT), then for dpdk-testpmd
# clients stopped by SIGTERM and by SIGKILL. Asserts:
#   - steerd is alive after every cycle and the link and echoes came back each time;
#   - its books balance: rx == tx + tx_dropped + dropped, and the pool is back at 0 in use;
#   - nothing appears from nowhere: the peer received no more than steerd sent;
#   - steerd logged the link going down and up;
#   - the device guard engaged (teardown waits > 0): the survival is its doing.
# usage: memif_churn.sh STEERD PEER [CYCLES]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?usage: $0 STEERD PEER [CYCLES]}
PEER=${2:?usage: $0 STEERD PEER [CYCLES]}
CYCLES=${3:-200}
TESTPMD=${TESTPMD:-dpdk-testpmd}

id=$$
steer_mac=02:00:00:00:00:10
peer_mac=02:00:00:00:00:01
sock="$E2E_DIR/p0.sock"
memif_echo_yaml "$E2E_DIR/steerd.yaml" "0@0,1@1" "steer-churn-d$id" "$sock" "$steer_mac" busy  # busy: always inside a burst
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
steerd_pid=$!
E2E_PIDS+=("$steerd_pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20
alive() { kill -0 "$steerd_pid" 2>/dev/null || { tail -20 "$E2E_DIR/steerd.log"; fail "steerd died ($1)"; }; }

# 1) CYCLES disconnects from one client process.
timeout 300 "$PEER" --lcores 0@0,1@0 --no-huge --no-pci -m 128 --file-prefix "steer-churn-p$id" \
    --vdev "net_memif0,role=client,socket=$sock,mac=$peer_mac" -- \
    --cycles "$CYCLES" --traffic-ms 50 --dst-mac "$steer_mac" > "$E2E_DIR/peer.log" 2>&1 || true
summary=$(grep '^cycles=' "$E2E_DIR/peer.log" || true)
alive "after $CYCLES peer disconnects"
[ -n "$summary" ] || { tail -20 "$E2E_DIR/peer.log"; fail "the peer printed no summary"; }
echo "peer: $summary"
grep '^cycle ' "$E2E_DIR/peer.log" | head -5 || true
[[ "$summary" == "cycles=$CYCLES link_up=$CYCLES resumed=$CYCLES "* ]] || fail "not every cycle came back: $summary"
peer_recv=$(sed -E 's/.* received=([0-9]+).*/\1/' <<<"$summary")

# 2) Client processes that exit under traffic: SIGTERM (ports closed) and SIGKILL (socket drops).
for sig in TERM TERM KILL KILL; do
  { sleep 30; } | timeout 25 "$TESTPMD" --lcores 0@0,1@0 --no-huge --no-pci -m 256 --file-prefix "steer-churn-g$id" \
      --vdev "net_memif0,role=client,socket=$sock,mac=$peer_mac" -- --forward-mode=flowgen --nb-cores=1 \
      --auto-start --total-num-mbufs=8192 --eth-peer="0,$steer_mac" > "$E2E_DIR/testpmd.log" 2>&1 &
  sleep 3
  pkill -"$sig" -f "file-prefix steer-churn-g$id" || true
  sleep 1
  alive "after a testpmd client got SIG$sig"
  rm -rf "/var/run/dpdk/steer-churn-g$id"
done

kill -TERM "$steerd_pid"
wait "$steerd_pid" || fail "steerd exited non-zero after SIGTERM"
totals=$(grep '^totals:' "$E2E_DIR/steerd.log" | tail -1)
guard=$(grep '^device guard:' "$E2E_DIR/steerd.log" | tail -1 || true)
echo "steerd: $totals"
echo "steerd: $guard"
field() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$totals"; }
rx=$(field rx); tx=$(field tx); txd=$(field tx_dropped); dropped=$(field dropped)
[ $((tx + txd + dropped)) -eq "$rx" ] || fail "steerd's books do not balance: rx $rx != tx $tx + tx_dropped $txd + dropped $dropped"
in_use=$(sed -n '/^final counters:/,$p' "$E2E_DIR/steerd.log" | awk '/^pool /{f=1; next} f && NF==5 {print $4; exit}')
[ "$in_use" = 0 ] || fail "steerd's pool has $in_use mbufs in use after stop"
[ "$peer_recv" -le "$tx" ] || fail "the peer received $peer_recv but steerd sent only $tx"
grep -q "port p0: link down" "$E2E_DIR/steerd.log" && grep -q "port p0: link up" "$E2E_DIR/steerd.log" ||
  fail "steerd did not log the peer's link going down and coming back"
waits=$(sed -E 's/device guard: ([0-9]+) teardown waits.*/\1/' <<<"$guard")
[ "${waits:-0}" -gt 0 ] || fail "the device guard never engaged, so this run proves nothing about it"
echo "PASS memif_churn ($CYCLES peer cycles + 4 client processes killed)"
