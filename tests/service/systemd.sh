#!/usr/bin/env bash
# steerd.service under a real systemd as PID 1 (issue 11): the machine's own
# root booted read-only in systemd-nspawn (--volatile=yes: /usr from the
# host, /etc and /var fresh), with `cmake --install` staged into /usr/local
# and a steering deployment in /etc/steerd. The installed unit, unchanged,
# with all its hardening:
#   - Type=notify: active only after READY=1; STATUS= names the generation;
#   - a live change, kill -9 of the main process, Restart=on-failure brings it
#     back (NRestarts 1) with the RETA and generation from the state journal
#     under StateDirectory=;
#   - systemctl reload (ExecReload, SIGHUP) returns to the file: generation 2;
#   - WatchdogSec: a stalled lcore (--test-stall in a drop-in) gets the
#     service killed by the watchdog and restarted;
#   - systemctl stop: STOPPING=1, exit 0, Result=success.
# usage: systemd.sh BUILD_DIR CONFIG
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
BUILD=${1:?}; CONFIG=${2:?}
command -v systemd-nspawn > /dev/null || fail "systemd-nspawn is missing (Debian systemd-container; scripts/setup.sh installs it)"
root=$E2E_DIR/root
DESTDIR=$root cmake --install "$BUILD" > "$E2E_DIR/install.log" || { cat "$E2E_DIR/install.log"; fail "cmake --install"; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
[ "$prefix" = /usr/local ] || fail "this test binds the staged $prefix over /usr/local; configure with the default prefix"
sed -e "s|socket=/run/steerd/steer-p0.sock|socket=/run/steerd/p0.sock|" -e "s|file_prefix: steerd-steer|file_prefix: steer-sd$$|" \
  "$CONFIG" > "$root/etc/steerd/steerd.yaml"
echo "control: {socket: /run/steerd/steerd.sock}" >> "$root/etc/steerd/steerd.yaml"

# Containers of an earlier run that was killed outright (a ctest timeout):
# their test's pid is in the machine name.
for np in $(pgrep -f "systemd-nspawn .*--machine=steer-sd" || true); do
  owner=$(tr '\0' ' ' < "/proc/$np/cmdline" 2> /dev/null | sed -n 's/.*--machine=steer-sd\([0-9]*\).*/\1/p')
  # (a killed test may linger as a zombie until its parent reaps it)
  [ -n "$owner" ] && ! grep -qs '^State:[[:space:]]*[^Z]' "/proc/$owner/status" || continue
  for c in $(ps -o pid= --ppid "$np" 2> /dev/null || true); do kill -KILL "$c" 2> /dev/null || true; done
  kill -KILL "$np" 2> /dev/null || true
done

# Drop-ins in place from boot (the preset enables steerd, so it starts then).
# An ASan build: LeakSanitizer stops the world with ptrace, which the unit's
# SystemCallFilter denies (@debug) on purpose; the address checks stay on.
mkdir -p "$E2E_DIR/dropins"
ldd "$root$prefix/bin/steerd" > "$E2E_DIR/ldd.txt" 2>&1 || true
if grep -q libasan "$E2E_DIR/ldd.txt"; then
  printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' > "$E2E_DIR/dropins/asan.conf"
  echo "steerd is an ASan build: leak checks off under the unit (no ptrace)"
fi

# nspawn hides /sys/module; the EAL stats it before deciding VFIO is absent
# (an empty one says: no vfio module). A real host has it.
systemd-nspawn -D / --volatile=yes -b --private-network --register=no --keep-unit --console=passive \
  --machine="steer-sd$$" --tmpfs=/sys/module:mode=0555 \
  --bind-ro="$root/usr/local:/usr/local" --bind="$root/etc/steerd:/etc/steerd" \
  --bind-ro="$E2E_DIR/dropins:/etc/systemd/system/steerd.service.d" \
  -- systemd.firstboot=off > "$E2E_DIR/console.log" 2>&1 < /dev/null &
nspawn=$!
E2E_PIDS+=("$nspawn")  # SIGTERM: nspawn powers the container off
# The container's PID 1, once known, is killed first on the way out: that
# ends everything in it, even if nspawn itself is gone.
stop_container() {
  [ -n "${leader:-}" ] && kill -KILL "$leader" 2> /dev/null || true
  local c
  for c in $(ps -o pid= --ppid "$nspawn" 2> /dev/null || true); do kill -KILL "$c" 2> /dev/null || true; done
  e2e_cleanup
}
trap stop_container EXIT
leader=
for _ in $(seq 200); do  # nspawn's child becomes the container's systemd
  leader=$(ps -o pid= --ppid "$nspawn" 2>/dev/null | tr -d " " | head -1 || true)
  [ -n "$leader" ] && [ "$(ps -o comm= -p "$leader" || true)" = systemd ] && break
  leader=
  sleep 0.1
done
[ -n "$leader" ] || { cat "$E2E_DIR/console.log"; fail "systemd-nspawn did not start a container"; }

inside() { nsenter -t "$leader" -a "$@"; }
state=
for _ in $(seq 90); do  # its manager socket appears a moment after exec
  state=$(timeout 90 nsenter -t "$leader" -a systemctl is-system-running --wait 2>/dev/null || true)
  case "$state" in running|degraded) break;; esac
  sleep 1
done
case "$state" in running|degraded) ;; *) tail -20 "$E2E_DIR/console.log"; fail "the container's systemd did not finish booting ($state)";; esac
# The unit's journal as text (grep -q on a pipe would SIGPIPE journalctl,
# which pipefail reports as a failure).
journal() { inside journalctl -u steerd -o cat --no-pager > "$E2E_DIR/unit.log" 2>&1 || true; cat "$E2E_DIR/unit.log"; }
in_journal() { journal > /dev/null; grep -q -- "$1" "$E2E_DIR/unit.log"; }
show() { inside systemctl show -p "$1" --value steerd; }
wait_active() {  # wait_active NRESTARTS: active, after that many restarts
  local deadline=$((SECONDS + 60))
  until [ "$(show ActiveState)" = active ] && [ "$(show NRestarts)" = "$1" ]; do
    [ $SECONDS -ge $deadline ] && { journal | tail -20; fail "steerd is $(show ActiveState) after $(show NRestarts) restarts, expected active after $1"; }
    sleep 0.2
  done
}
reta_queues() { inside steerctl rss show p0 -o json | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["generation"], ",".join(map(str, sorted(set(s["rss"]["reta"])))))'; }

# 1. Enabled and started as an operator would; active only once READY=1.
inside systemctl enable --now steerd > /dev/null 2>&1 || { journal | tail -20; fail "systemctl enable --now steerd"; }
wait_active 0
[ "$(show Type)" = notify ] || fail "the unit's Type is $(show Type)"
show StatusText | grep -q "p0: software steering, generation 0" || fail "STATUS=: $(show StatusText)"
[ "$(reta_queues)" = "0 0,1" ] || fail "at start: $(reta_queues)"

# 2. A live change, kill -9, Restart=: the journal brings it back.
inside steerctl rss set-reta p0 --spread 1 > /dev/null || fail "steerctl rss set-reta"
pid=$(show MainPID)
inside kill -KILL "$pid"
wait_active 1
[ "$(show MainPID)" != "$pid" ] || fail "no new main process"
[ "$(reta_queues)" = "1 1" ] || fail "after kill -9 and Restart=: generation, RETA queues $(reta_queues), expected 1 1"
show StatusText | grep -q "generation 1" || fail "STATUS= after restart: $(show StatusText)"
in_journal "state: restored" || fail "the journal does not say restored"
echo "kill -9 -> Restart=on-failure -> generation 1 and RETA restored"

# 3. systemctl reload (ExecReload): back to the file, as generation 2.
inside systemctl reload steerd || fail "systemctl reload"
[ "$(reta_queues)" = "2 0,1" ] || fail "after reload: $(reta_queues)"
inside steerctl diff --exit-code > /dev/null || fail "steerctl diff after reload: the running state differs from the file"

# 4. The watchdog: lcore 2 stalls 1.5 s after start; WatchdogSec=2 fires.
inside mkdir -p /run/systemd/system/steerd.service.d
inside sh -c "printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/steerd --config /etc/steerd/steerd.yaml --test-stall 2,1500,60000\nWatchdogSec=2\n' > /run/systemd/system/steerd.service.d/stall.conf"
inside systemctl daemon-reload
inside systemctl restart steerd
deadline=$((SECONDS + 30))
until in_journal "Watchdog timeout"; do
  [ $SECONDS -ge $deadline ] && { journal | tail -20; fail "the watchdog did not fire on a stalled lcore"; }
  sleep 0.2
done
in_journal "lcore 2: its loop count has not moved" ||
  fail "steerd did not log the stuck lcore"
inside rm /run/systemd/system/steerd.service.d/stall.conf
inside systemctl daemon-reload
inside systemctl restart steerd
wait_active "$(show NRestarts)"
echo "watchdog: a stalled lcore got the service killed and restarted"

# 5. A clean stop.
inside systemctl stop steerd
[ "$(show Result)" = success ] || fail "stop: Result=$(show Result)"
[ "$(show ExecMainStatus)" = 0 ] || fail "stop: exit status $(show ExecMainStatus)"
in_journal "SIGTERM: stopping" ||
  { journal | tail -8; fail "no SIGTERM line in the journal"; }
echo "PASS systemd"
