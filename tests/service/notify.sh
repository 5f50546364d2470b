#!/usr/bin/env bash
# systemd notify and watchdog (issue 11): see notify_client.py.
# usage: notify.sh STEERD STEERCTL CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; CONFIG=${3:?}
sed -e "s|socket=/run/steerd/steer-p0.sock|socket=$E2E_DIR/p0.sock|" -e "s|file_prefix: steerd-steer|file_prefix: steer-nt-d$$|" \
  "$CONFIG" > "$E2E_DIR/steerd.yaml"
echo "control: {socket: $E2E_DIR/ctl.sock}" >> "$E2E_DIR/steerd.yaml"
/usr/bin/python3 "$here/notify_client.py" "$STEERD" "$E2E_DIR/steerd.yaml" "$E2E_DIR" "$STEERCTL"
