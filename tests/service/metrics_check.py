"""Scrapes steerd's /metrics, parses it with prometheus_client's own parser
(python3-prometheus-client) and compares it with the gRPC stats of the same
moment (traffic stopped, so nothing moves in between).
usage: metrics_check.py URL STEERCTL SOCKET
"""
import json
import subprocess
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

url, steerctl, sock = sys.argv[1:4]
text = urllib.request.urlopen(url, timeout=5).read().decode()
families = {f.name: f for f in text_string_to_metric_families(text)}
stats = json.loads(subprocess.check_output([steerctl, "--socket", sock, "-o", "json", "stats"]))


def total(name, **labels):
    fam = families[name]
    return sum(s.value for s in fam.samples
               if s.name == name + ("_total" if fam.type == "counter" else "")
               and all(s.labels.get(k) == v for k, v in labels.items()))


def grpc_sum(rows, field):
    return sum(int(r.get(field, 0)) for r in rows)


# prometheus_client strips _total from counter family names.
checks = {
    "queue rx": (total("steer_queue_rx_packets"), grpc_sum(stats["queues"], "rx")),
    "queue tx": (total("steer_queue_tx_packets"), grpc_sum(stats["queues"], "tx")),
    "queue reordered": (total("steer_queue_reordered_packets"), grpc_sum(stats["queues"], "reordered")),
    "dispatcher rx": (total("steer_dispatcher_rx_packets"), grpc_sum(stats["dispatchers"], "rx")),
    "port opackets": (total("steer_port_opackets", port="p0"), int(stats["ports"][0].get("opackets", 0))),
}
for what, (m, g) in checks.items():
    print(f"{what}: metrics {int(m)}, gRPC {g}")
    assert int(m) == g, (what, m, g)
assert total("steer_queue_rx_packets") > 0, "no traffic counted"
assert families["steer_lcore_busy_seconds"].type == "counter", "cycles are not seconds"
headroom = [s.value for s in families["steer_mempool_headroom_ratio"].samples]
assert headroom and all(0 < v <= 1 for v in headroom), headroom
busy = [s.value for s in families["steer_lcore_busy_ratio"].samples]
assert busy and all(0 <= v <= 1 for v in busy), busy
gen = [s.value for s in families["steer_steering_generation"].samples if s.labels["port"] == "p0"]
changes = [s.value for s in families["steer_change_apply_seconds"].samples if s.name.endswith("_count")]
assert gen == [1.0] and changes == [1.0], (gen, changes)
info = [s.labels for s in families["steer_steering_info"].samples]
assert info == [{"port": "p0", "backend": "software"}], info
for f in families.values():  # conventions: counters end in _total (stripped here), help on every family
    assert f.documentation, f.name
print(f"metrics: {len(families)} families, {sum(len(f.samples) for f in families.values())} samples; match gRPC")
