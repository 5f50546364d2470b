#!/usr/bin/python3
"""Every packet steer-trafgen lost is one steerd counted.

On a 2-CPU machine the generator shares CPUs with steerd; while it is
descheduled its RX ring fills and steerd's TX backs up. steerd then frees and
counts (tx_dropped, ring_full): that is its promise, not zero loss. This
checks the promise: generator loss == the drops steerd counted, nothing
duplicated, and enough traffic came back to judge.

usage: accounted.py TRAFGEN_JSON (--totals STEERD_LOG | --stats STEERCTL_JSON)
"""
import json
import os
import re
import sys


def steerd_counted(kind, path):
    if kind == "--totals":  # the final "totals:" line steerd prints at exit
        lines = [l for l in open(path) if l.startswith("totals:")]
        if not lines:
            sys.exit(f"FAIL: no totals line in {path}")
        t = dict(re.findall(r"(\w+)=(\d+)", lines[-1]))
        return {k: int(t.get(k, 0)) for k in ("tx_dropped", "dropped", "ring_full", "rule_drops")}
    s = json.load(open(path))  # steerctl -o json stats
    c = {"tx_dropped": 0, "dropped": 0, "ring_full": 0, "rule_drops": 0}
    for q in s.get("queues", []):
        c["tx_dropped"] += int(q.get("txDropped", 0))
        c["dropped"] += int(q.get("dropped", 0))
    for d in s.get("dispatchers", []):
        c["ring_full"] += int(d.get("ringFull", 0))
        c["rule_drops"] += int(d.get("ruleDrops", 0))
    return c


def main():
    r = json.load(open(sys.argv[1]))
    counted = steerd_counted(sys.argv[2], sys.argv[3])
    total = sum(counted.values())
    sent, received, lost, dup = r["sent"], r["received"], r["lost"], r["duplicated"]
    print(f"generator: sent {sent} received {received} lost {lost} duplicated {dup}; "
          f"steerd counted {total} {counted}")
    if dup:
        sys.exit(f"FAIL: {dup} duplicated packets (an mbuf with two owners?)")
    if sent - received != lost:
        sys.exit(f"FAIL: sent {sent} - received {received} != lost {lost}")
    if lost != total:
        sys.exit(f"FAIL: the generator lost {lost} packets but steerd counted {total} drops: "
                 f"{lost - total} went missing uncounted")
    share = float(os.environ.get("ACCOUNTED_MIN_SHARE", "0.5"))  # a test that drops by design lowers it
    if received < sent * share:
        sys.exit(f"FAIL: only {received} of {sent} came back (want {share:.0%}): too little to judge")


main()
