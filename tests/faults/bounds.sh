#!/usr/bin/env bash
# Bounds and trust (issue 10): bad and oversized requests (bounds_client.py),
# and the control socket: born 0660 with the configured group, a user in the
# group is served, a user outside it is refused.
# usage: bounds.sh STEERD STEERCTL CONFIG PROTO_DIR
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; CONFIG=${3:?}; PROTO_DIR=${4:?}
id=$$
grp=steer-test-ops; insider=steer-test-in; outsider=steer-test-out
getent group $grp > /dev/null || groupadd --system $grp
id $insider > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin -G $grp $insider
id $outsider > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin $outsider
cleanup_users() { userdel $insider 2> /dev/null || true; userdel $outsider 2> /dev/null || true; groupdel $grp 2> /dev/null || true; }
trap 'cleanup_users; e2e_cleanup' EXIT

chmod 755 "$E2E_DIR"  # the test users must reach the socket's directory (the socket itself is 0660)
cp "$STEERCTL" "$E2E_DIR/steerctl" && chmod 755 "$E2E_DIR/steerctl"
ctl="$E2E_DIR/ctl.sock"
steering_deployment "$CONFIG" "steer-bd-d$id" "$grp"
"$STEERD" --config "$E2E_DIR/steerd.yaml" > "$E2E_DIR/steerd.log" 2>&1 &
pid=$!
E2E_PIDS+=("$pid")
wait_for_line "$E2E_DIR/steerd.log" "control plane on unix:" 20

mode=$(stat -c '%a %G' "$ctl")
echo "socket: $mode"
[ "$mode" = "660 $grp" ] || fail "the control socket is $mode, want 660 $grp"
runuser -u $insider -- "$E2E_DIR/steerctl" --socket "$ctl" ports > "$E2E_DIR/in.txt" 2>&1 ||
  fail "a user in $grp was refused: $(cat "$E2E_DIR/in.txt")"
set +e
runuser -u $outsider -- "$E2E_DIR/steerctl" --socket "$ctl" ports > "$E2E_DIR/out.txt" 2>&1; rc=$?
set -e
echo "outsider: exit $rc: $(head -1 "$E2E_DIR/out.txt")"
[ $rc -eq 6 ] || fail "a user outside $grp got exit $rc, want 6 (cannot reach steerd)"

/usr/bin/python3 "$here/bounds_client.py" "$E2E_DIR/py" "$ctl" "$pid" || fail "bounds"
kill -0 "$pid" || fail "steerd died"
echo "PASS bounds"
