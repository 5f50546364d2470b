#!/usr/bin/env bash
# systemd notify and watchdog (issue 11): see notify_client.py.
# usage: notify.sh STEERD STEERCTL CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}; STEERCTL=${2:?}; CONFIG=${3:?}
steering_yaml "$CONFIG" "steer-nt-d$$"
/usr/bin/python3 "$here/notify_client.py" "$STEERD" "$E2E_DIR/steerd.yaml" "$E2E_DIR" "$STEERCTL"
