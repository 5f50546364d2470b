"""Changes every 10 ms for the soak: the RETA flips between two spreads and a
rule comes and goes, until the duration is over. Prints the number applied.
usage: soak_client.py STUB_DIR SOCKET SECONDS
"""
import sys
import time

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402

from steer.v1 import steer_pb2, steer_pb2_grpc  # noqa: E402

stub = steer_pb2_grpc.SteeringServiceStub(grpc.insecure_channel("unix:" + sys.argv[2]))
end = time.time() + float(sys.argv[3])
applied = refused = 0
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
        stub.Change(req, timeout=10)
        applied += 1
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.NOT_FOUND:  # removing a rule that is not there yet
            raise
        refused += 1
    time.sleep(0.01)
print(f"changes applied {applied} refused {refused}")
