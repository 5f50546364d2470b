"""Changes every 10 ms for the soak: the RETA flips between two spreads and a
rule comes and goes, until the duration is over. Prints the number applied,
the drains that timed out and the drain times' 99th percentile and maximum.
usage: soak_client.py STUB_DIR SOCKET SECONDS
"""
import sys
import time

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402

from steer.v1 import steer_pb2, steer_pb2_grpc  # noqa: E402

stub = steer_pb2_grpc.SteeringServiceStub(grpc.insecure_channel("unix:" + sys.argv[2]))
end = time.time() + float(sys.argv[3])
applied = refused = timeouts = 0
drains = []  # each applied change's drain time (adoption to the last dispatcher done), us
i = 0
while time.time() < end:
    i += 1
    req = steer_pb2.ChangeRequest(port="p0")
    if i % 10 == 0:
        rule = req.add.add(name="soak", priority=500 + i % 2)
        rule.match.ipv4_dst = "10.0.%d.0/24" % (i % 200)
        rule.action.queue = i % 2
    elif i % 10 == 5:
        req.remove.append("soak")
    else:
        req.reta.spread.extend([0, 1] if i % 2 else [1, 0])
    try:
        rep = stub.Change(req, timeout=10)
        applied += 1
        timeouts += rep.timeouts
        drains.append(rep.drain_us)
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.NOT_FOUND:  # removing a rule that is not there yet
            raise
        refused += 1
    time.sleep(0.01)
drains.sort()
p99 = drains[len(drains) * 99 // 100] if drains else 0.0
top = drains[-1] if drains else 0.0
print(f"changes applied {applied} refused {refused} timeouts {timeouts} drain p99 {p99:.0f} us max {top:.0f} us")
