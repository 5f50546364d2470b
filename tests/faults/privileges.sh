#!/usr/bin/env bash
# Dropping root after init (issue 10, README "Privileges"): with
# privileges.user set, steerd starts as root, maps its memory, opens its
# ports and control socket, then runs as that user in every thread with no
# capability left; and still does its job: memif peers reconnect and get
# echoes, steerctl and SIGHUP work, the state journal is still written, it
# stops cleanly. A user that does not
# exist stops it before the EAL starts.
# usage: privileges.sh STEERD STEERCTL PEER
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; PEER=${3:?}
id=$$
user=steer-test-priv
id $user > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin $user
trap 'userdel $user 2> /dev/null || true; e2e_cleanup' EXIT
uid=$(id -u $user)
steer_mac=02:00:00:00:00:10
yaml=$E2E_DIR/steerd.yaml
chmod 755 "$E2E_DIR"  # the user re-reads the file on SIGHUP
memif_echo_yaml "$yaml" "0@0,1@1" "steer-pv-d$id" "$E2E_DIR/p0.sock" "$steer_mac" adaptive
echo "control: {socket: $E2E_DIR/ctl.sock}" >> "$yaml"

# Every thread of PID: "uid capeff" lines, one per distinct pair.
threads_of() { for t in /proc/$1/task/*; do
  echo "$(awk '/^Uid:/{print $2}' "$t/status") $(awk '/^CapEff:/{print $2}' "$t/status")"; done | sort -u; }

# Negative control: without privileges.user, steerd keeps root's capabilities
# (so the check below can tell the difference).
"$STEERD" --config "$yaml" > "$E2E_DIR/root.log" 2>&1 &
pid=$!; E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/root.log" "running:" 20 || fail "steerd did not start"
before=$(threads_of $pid)
echo "without privileges.user: $(wc -l <<<"$before") kind(s) of thread: $before"
grep -q "^0 0*[1-9a-f]" <<<"$before" || fail "steerd as root shows no capability; the check below proves nothing"
kill -TERM $pid; wait $pid || fail "steerd (root) exited non-zero"

echo "privileges: {user: $user}" >> "$yaml"
set +e
sed "s/user: $user/user: steer-no-such-user/" "$yaml" > "$E2E_DIR/typo.yaml"
"$STEERD" --config "$E2E_DIR/typo.yaml" > "$E2E_DIR/typo.log" 2>&1; rc=$?
set -e
echo "unknown user: exit $rc: $(head -1 "$E2E_DIR/typo.log")"
[ $rc -eq 2 ] && grep -q "privileges.user: no user named" "$E2E_DIR/typo.log" || fail "an unknown user was not refused up front"
grep -q "starting EAL" "$E2E_DIR/typo.log" && fail "the EAL started before the user was checked"

chmod 644 "$yaml"
"$STEERD" --config "$yaml" --state-dir "$E2E_DIR/state" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!; E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "running:" 20 || fail "steerd did not start"
grep "privileges:" "$E2E_DIR/steerd.log"
after=$(threads_of $pid)
echo "with privileges.user: $(ls /proc/$pid/task | wc -l) threads: $after"
[ "$after" = "$uid 0000000000000000" ] || fail "a thread is not uid $uid without capabilities: $after"

# Still does its job as the user: peers come and go, and each gets echoes.
timeout 60 "$PEER" --lcores 0@0,1@0 --no-huge --no-pci -m 128 --file-prefix "steer-pv-p$id" \
  --vdev "net_memif0,role=client,socket=$E2E_DIR/p0.sock,mac=02:00:00:00:00:01" -- --dst-mac "$steer_mac" \
  --cycles 5 --traffic-ms 200 > "$E2E_DIR/peer.log" 2>&1 || { cat "$E2E_DIR/peer.log"; fail "no echo after the drop"; }
grep "^cycles=" "$E2E_DIR/peer.log"
"$STEERCTL" --socket "$E2E_DIR/ctl.sock" ports > "$E2E_DIR/ports.txt" || fail "steerctl ports"
kill -HUP $pid
wait_for_line "$E2E_DIR/steerd.log" "SIGHUP: .* matches the running deployment" 10 || fail "SIGHUP could not re-read the file"
# The reload rewrote the state journal, as the user: the state directory was
# handed over before the drop.
[ "$(stat -c %u "$E2E_DIR/state/running.yaml" 2>/dev/null)" = "$uid" ] ||
  fail "the state journal was not written as $user after the drop: $(ls -ln "$E2E_DIR/state" 2>&1)"
grep -q "\] state journal: " "$E2E_DIR/steerd.log" && fail "steerd reported a state journal failure"
kill -TERM $pid; wait $pid || fail "steerd (as $user) exited non-zero"
totals=$(grep '^totals:' "$E2E_DIR/steerd.log" | tail -1)
echo "steerd: $totals"
field() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$totals"; }
[ "$(field rx)" -gt 0 ] || fail "nothing was echoed"
[ $(( $(field tx) + $(field tx_dropped) + $(field dropped) )) -eq "$(field rx)" ] || fail "steerd's books do not balance"
echo "PASS privileges"
