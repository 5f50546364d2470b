#!/usr/bin/env bash
# steer-trafgen against a peer that never comes: it fails fast (within the
# link timeout, not the run's duration), says which port and which memif
# socket, sends nothing, and exits 4 (issue 10). Both memif roles.
# usage: trafgen_no_peer.sh TRAFGEN
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
TRAFGEN=${1:?usage: $0 TRAFGEN}
sock="$E2E_DIR/nobody.sock"

check() {  # role expected-text
  local start=$SECONDS rc=0
  timeout 30 "$TRAFGEN" --lcores 0@0,1@0 --no-huge --no-pci -m 128 --file-prefix "steer-nopeer-$1$$" \
      --vdev "net_memif0,role=$1,socket=$sock" -- --duration 20 --link-timeout 1 > "$E2E_DIR/$1.log" 2>&1 || rc=$?
  rm -rf "/var/run/dpdk/steer-nopeer-$1$$"
  cat "$E2E_DIR/$1.log" | grep steer-trafgen || true
  [ "$rc" -eq 4 ] || { tail -5 "$E2E_DIR/$1.log"; fail "role=$1: exit $rc, want 4 (link never came up)"; }
  [ $((SECONDS - start)) -le 10 ] || fail "role=$1: took $((SECONDS - start)) s to give up on a 1 s link timeout"
  grep -qF "$2 $sock?" "$E2E_DIR/$1.log" || fail "role=$1: the message does not say '$2 $sock?'"
  grep -q "sent" "$E2E_DIR/$1.log" && grep -qE "lost|duration" "$E2E_DIR/$1.log" && fail "role=$1: printed a summary for a run that never started"
  return 0
}
check server "is a memif client connecting to"
check client "is the memif server running at"
echo "PASS trafgen_no_peer"
