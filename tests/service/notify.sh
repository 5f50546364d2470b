#!/usr/bin/env bash
# systemd notify and watchdog (issue 11): see notify_client.py.
# usage: notify.sh STEERD
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
STEERD=${1:?}
memif_echo_yaml "$E2E_DIR/steerd.yaml" "0@0,1@1" "steer-nt-d$$" "$E2E_DIR/p0.sock" 02:00:00:00:00:10 adaptive
/usr/bin/python3 "$here/notify_client.py" "$STEERD" "$E2E_DIR/steerd.yaml" "$E2E_DIR"
