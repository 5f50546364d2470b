"""A client nobody on the project wrote: Python grpcio with stubs generated
here by grpc_python_plugin, against a running steerd. Usage:
  client_test.py STUB_DIR SOCKET
"""
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402

import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import reflection_pb2  # noqa: E402
import reflection_pb2_grpc  # noqa: E402
from google.protobuf import descriptor_pb2  # noqa: E402
from steer.v1 import steer_pb2, steer_pb2_grpc  # noqa: E402

channel = grpc.insecure_channel("unix:" + sys.argv[2])

health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
assert health.status == health_pb2.HealthCheckResponse.SERVING, health
print("health:", health_pb2.HealthCheckResponse.ServingStatus.Name(health.status))

# Server reflection, as grpcurl uses it: the services, then the file that
# defines the steering service, parsed as a FileDescriptorProto.
reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
asks = [reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="steer.v1.SteeringService")]
answers = list(reflect.ServerReflectionInfo(iter(asks), timeout=5))
assert len(answers) == 2, answers
services = {s.name for s in answers[0].list_services_response.service}
for want in ("steer.v1.Ports", "steer.v1.SteeringService", "steer.v1.Stats", "steer.v1.Config", "steer.v1.Events",
             "grpc.health.v1.Health"):
    assert want in services, (want, services)
assert answers[1].WhichOneof("message_response") == "file_descriptor_response", answers[1]
files = [descriptor_pb2.FileDescriptorProto.FromString(b)
         for b in answers[1].file_descriptor_response.file_descriptor_proto]
steer_file = next(f for f in files if f.package == "steer.v1")
assert "SteeringService" in [sv.name for sv in steer_file.service], steer_file.service
print("reflection:", len(services), "services;", steer_file.name, "defines",
      ", ".join(sv.name for sv in steer_file.service))

ports = steer_pb2_grpc.PortsStub(channel).ListPorts(steer_pb2.ListPortsRequest(), timeout=5)
p0 = ports.ports[0]
assert p0.steered and p0.steering_backend == "software", p0
print("port:", p0.name, p0.steering_backend, "-", p0.steering_reason)

steering = steer_pb2_grpc.SteeringServiceStub(channel)
# Optimistic concurrency: steerctl changes the same port meanwhile, so a
# stale generation is refused with FAILED_PRECONDITION and we re-read.
retries = 0
for i in range(20):
    while True:
        gen = steering.GetSteering(steer_pb2.GetSteeringRequest(port="p0"), timeout=5).generation
        try:
            rep = steering.Change(
                steer_pb2.ChangeRequest(port="p0", expected_generation=gen,
                                        reta=steer_pb2.RetaSpec(spread=[i % 2, (i + 1) % 2])),
                timeout=5)
            break
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
            retries += 1
    assert rep.generation == gen + 1, rep
    gen = rep.generation
print("20 RETA changes, generation now", gen, "retries after concurrent changes", retries)

try:
    steering.Change(steer_pb2.ChangeRequest(port="p0", expected_generation=gen - 1, reta=steer_pb2.RetaSpec(spread=[0])),
                    timeout=5)
    raise SystemExit("a stale expected_generation was accepted")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e
try:
    steering.Change(steer_pb2.ChangeRequest(port="p0", reta=steer_pb2.RetaSpec(entries=[0, 9])), timeout=5)
    raise SystemExit("a RETA entry past the queues was accepted")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "reta[1]" in e.details(), e
try:
    steering.GetSteering(steer_pb2.GetSteeringRequest(port="nope"), timeout=5)
    raise SystemExit("an unknown port was found")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e

# one transaction: a valid RETA with an invalid rule is refused whole. steerctl
# changes the RETA meanwhile, so the evidence is the rule: RETA and rules go in
# one snapshot, and "bad" (which nobody else adds) must not exist afterwards.
bad_rule = steer_pb2.FlowRule(name="bad", priority=99, action=steer_pb2.FlowAction(queue=7))
try:
    steering.Change(steer_pb2.ChangeRequest(port="p0", reta=steer_pb2.RetaSpec(spread=[1]), add=[bad_rule]), timeout=5)
    raise SystemExit("a change with an invalid rule was accepted")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "flows[" in e.details(), e
after = steering.GetSteering(steer_pb2.GetSteeringRequest(port="p0"), timeout=5)
assert all(f.name != "bad" for f in after.flows), "partial apply: the rule of a refused change exists"
port = steer_pb2_grpc.PortsStub(channel).GetPort(steer_pb2.GetPortRequest(port="p0"), timeout=5)
assert port.name == "p0" and port.rx_queues == 2 and len(port.queues) == 4, port
print("multi-change refused whole; GetPort ok")

# ChangeStream: changes in flight on one stream are applied in the order sent
# (the second replaces the first's rule, so the rule left says which ran
# last), each answered in order; the fourth is invalid, so the stream ends
# with its error naming it, and the fifth is never applied.
def rule(name, prio, queue):
    return steer_pb2.FlowRule(name=name, priority=prio,
                              match=steer_pb2.FlowMatch(ipv4_dst="198.51.100.%d/32" % (prio - 400)),
                              action=steer_pb2.FlowAction(queue=queue))


sent = [steer_pb2.ChangeRequest(port="p0", add=[rule("st-a", 500, 0)]),
        steer_pb2.ChangeRequest(port="p0", add=[rule("st-a", 501, 1)]),
        steer_pb2.ChangeRequest(port="p0", add=[rule("st-b", 502, 0)]),
        steer_pb2.ChangeRequest(port="p0", add=[rule("st-bad", 503, 7)]),
        steer_pb2.ChangeRequest(port="p0", add=[rule("st-c", 504, 0)])]
reports = []
try:
    for r in steering.ChangeStream(iter(sent), timeout=10):
        reports.append(r)
    raise SystemExit("a change stream with an invalid change ended without its error")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    assert e.details().startswith("change 4 of this stream: ") and "queue" in e.details(), e.details()
assert len(reports) == 3, reports
gens = [r.generation for r in reports]
assert gens == sorted(gens) and len(set(gens)) == 3, gens  # steerctl's changes may come between
after = {f.name: f for f in steering.GetSteering(steer_pb2.GetSteeringRequest(port="p0"), timeout=5).flows}
assert after["st-a"].priority == 501 and after["st-a"].action.queue == 1, after["st-a"]
assert "st-b" in after and "st-bad" not in after and "st-c" not in after, sorted(after)
steering.Change(steer_pb2.ChangeRequest(port="p0", remove=["st-a", "st-b"]), timeout=5)
print("change stream: 3 applied in order (generations %s), the 4th refused by name, the 5th not read" % gens)

stats = steer_pb2_grpc.StatsStub(channel).GetStats(steer_pb2.GetStatsRequest(), timeout=5)
print("stats: rx", stats.rx, "tx", stats.tx, "reordered", stats.reordered)
print("PASS python client")
