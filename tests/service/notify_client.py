"""steerd's systemd notify protocol against a real NOTIFY_SOCKET (issue 11).
The test opens the datagram socket systemd would, starts steerd with
NOTIFY_SOCKET and WATCHDOG_USEC set and one worker made to stall for 2 s
(--test-stall), and checks: READY=1 only once steerd logged that it runs,
with a STATUS naming each port's steering; WATCHDOG=1 every half interval
while the lcores loop, none while lcore 2 is stuck (and a STATUS saying so),
again after; a live change updates STATUS with the new generation;
RELOADING=1 then READY=1 on SIGHUP; STOPPING=1 on SIGTERM.
usage: notify_client.py STEERD CONFIG WORKDIR STEERCTL
"""
import os
import signal
import socket
import subprocess
import sys
import time

steerd, config, work, steerctl = sys.argv[1:5]
path = os.path.join(work, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(0.05)
WATCHDOG_MS = 400
STALL_AFTER_MS, STALL_MS = 3000, 2000
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(WATCHDOG_MS * 1000))
log = open(os.path.join(work, "steerd.log"), "w")
start = time.monotonic()
proc = subprocess.Popen([steerd, "--config", config, "--test-stall", f"2,{STALL_AFTER_MS},{STALL_MS}"],
                        env=env, stdout=log, stderr=subprocess.STDOUT)
msgs = []  # (seconds since start, {key: value})


def collect(until):
    while time.monotonic() < until:
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            continue
        fields = dict(line.split("=", 1) for line in data.splitlines() if "=" in line)
        msgs.append((time.monotonic() - start, fields))
        if "READY" in fields and len([m for m in msgs if "READY" in m[1]]) == 1:
            ready_log = open(os.path.join(work, "steerd.log")).read()
            assert "running:" in ready_log, "READY=1 before steerd logged that it runs:\n" + ready_log


def fail(why):
    proc.kill()
    proc.wait()
    print(open(os.path.join(work, "steerd.log")).read())
    for t, m in msgs:
        print(f"{t:7.3f} {m}")
    raise SystemExit("FAIL: " + why)


collect(start + 8.0)
ready = [t for t, m in msgs if m.get("READY") == "1"]
if not ready:
    fail("no READY=1")
t_ready = ready[0]
first = next(m for t, m in msgs if "READY" in m)
if "p0: software steering, generation 0" not in first.get("STATUS", ""):
    fail("READY without a STATUS naming the port's steering")
pets = [t for t, m in msgs if m.get("WATCHDOG") == "1"]
before = [t for t in pets if t < t_ready + STALL_AFTER_MS / 1000 - 0.5]
gaps = [b - a for a, b in zip(pets, pets[1:])]
longest = max(gaps) if gaps else 0
print(f"READY at {t_ready:.2f} s; {len(pets)} pets; {len(before)} before the stall; longest gap {longest:.2f} s")
if len(before) < 5:
    fail("the watchdog was not petted regularly while every lcore looped")
if max(b - a for a, b in zip(before, before[1:])) > 3 * WATCHDOG_MS / 1000:
    fail("a gap between pets while nothing was stuck (negative control)")
if longest < STALL_MS / 1000 * 0.75:
    fail(f"no gap in the pets while lcore 2 was stuck for {STALL_MS} ms")
if not any("lcore 2 stuck" in m.get("STATUS", "") for t, m in msgs):
    fail("no STATUS saying lcore 2 is stuck")
if not [t for t in pets if t > t_ready + (STALL_AFTER_MS + STALL_MS) / 1000 + 0.3]:
    fail("the pets did not resume after the stall")

mark = len(msgs)
subprocess.run([steerctl, "--socket", os.path.join(work, "ctl.sock"), "rss", "set-reta", "p0", "--spread", "1"],
               check=True, stdout=subprocess.DEVNULL)
collect(time.monotonic() + 0.5)
if not any("generation 1" in m.get("STATUS", "") for t, m in msgs[mark:]):
    fail("a live change did not update STATUS with generation 1")

proc.send_signal(signal.SIGHUP)
mark = len(msgs)
collect(time.monotonic() + 1.0)
seq = [k for t, m in msgs[mark:] for k in ("RELOADING", "READY") if k in m]
if seq[:2] != ["RELOADING", "READY"]:
    fail(f"SIGHUP gave {seq}, want RELOADING then READY")
proc.send_signal(signal.SIGTERM)
mark = len(msgs)
deadline = time.monotonic() + 10
while proc.poll() is None and time.monotonic() < deadline:
    collect(time.monotonic() + 0.2)
collect(time.monotonic() + 0.2)
if proc.poll() != 0:
    fail(f"steerd exited {proc.poll()} on SIGTERM")
if not any(m.get("STOPPING") == "1" for t, m in msgs[mark:]):
    fail("no STOPPING=1 on SIGTERM")
print("PASS notify: READY, WATCHDOG (stopped while lcore 2 was stuck), STATUS on change, RELOADING/READY, STOPPING")
