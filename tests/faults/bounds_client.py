"""Bad and oversized requests against a running steerd (issue 10 "Bounds and
trust"). Each is refused with its own status and changes nothing; watch
streams are bounded and an abandoned stream gives its slot and thread back.
usage: bounds_client.py STUB_DIR SOCKET STEERD_PID
"""
import sys
import time

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402

from steer.v1 import steer_pb2, steer_pb2_grpc  # noqa: E402

channel = grpc.insecure_channel("unix:" + sys.argv[2], options=[("grpc.max_send_message_length", 64 << 20)])
pid = int(sys.argv[3])
steering = steer_pb2_grpc.SteeringServiceStub(channel)
stats = steer_pb2_grpc.StatsStub(channel)
events = steer_pb2_grpc.EventsStub(channel)


def generation():
    return steering.GetSteering(steer_pb2.GetSteeringRequest(port="p0"), timeout=5).generation


def threads():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Threads:"):
            return int(line.split()[1])


def refused(what, req, code, text):
    before = generation()
    try:
        steering.Change(req, timeout=30)
    except grpc.RpcError as e:
        assert e.code() == code, (what, e.code(), e.details()[:200])
        assert text in e.details(), (what, e.details()[:200])
        assert generation() == before, (what, "the generation moved")
        print(f"{what}: {e.code().name}: {e.details()[:120]}")
        return
    raise AssertionError(f"{what}: accepted")


# An oversized request is refused before steerd reads it into memory.
refused("17 MB key", steer_pb2.ChangeRequest(port="p0", key="a" * (17 << 20)),
        grpc.StatusCode.RESOURCE_EXHAUSTED, "")
# Counts over the bounds: refused before anything is converted.
many = steer_pb2.ChangeRequest(port="p0")
many.remove.extend(["r%d" % i for i in range(262145)])
refused("262145 removes", many, grpc.StatusCode.INVALID_ARGUMENT, "at most 262144")
# Strings: a rule name past 64 bytes, a name with a newline.
long_name = steer_pb2.ChangeRequest(port="p0")
r = long_name.add.add(name="x" * 65, priority=999)
r.action.queue = 0
refused("65-byte rule name", long_name, grpc.StatusCode.INVALID_ARGUMENT, "rule name is 1-64")
bad_name = steer_pb2.ChangeRequest(port="p0")
r = bad_name.add.add(name="a\nb", priority=999)
r.action.queue = 0
refused("rule name with a newline", bad_name, grpc.StatusCode.INVALID_ARGUMENT, "rule name is 1-64")
refused("RETA of 70000", steer_pb2.ChangeRequest(port="p0", reta=steer_pb2.RetaSpec(size=70000, spread=[0])),
        grpc.StatusCode.INVALID_ARGUMENT, "reta.size")
refused("unknown 5000-byte port name", steer_pb2.ChangeRequest(port="p" * 5000, reta=steer_pb2.RetaSpec(spread=[0])),
        grpc.StatusCode.NOT_FOUND, "p" * 64 + "...")

# Per client: one connection has at most 8 calls in flight (HTTP/2
# MAX_CONCURRENT_STREAMS); its 9th waits until one ends.
def own_channel():  # a connection of its own (else python shares one per target)
    return grpc.insecure_channel("unix:" + sys.argv[2], options=[("grpc.use_local_subchannel_pool", 1)])


base_threads = threads()
clients = [own_channel() for _ in range(3)]
mine = [steer_pb2_grpc.StatsStub(clients[0]).WatchStats(steer_pb2.WatchStatsRequest(interval_ms=100))
        for _ in range(8)]
for s in mine:
    next(s)
ninth = steer_pb2_grpc.StatsStub(clients[0]).WatchStats(steer_pb2.WatchStatsRequest(interval_ms=100), timeout=1.5)
try:
    next(ninth)
    raise AssertionError("a 9th stream on one connection was served")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, (e.code(), e.details())
    print("9th stream on one client: waited, then", e.code().name)
# Another client is not affected by the first one's 8.
assert steer_pb2_grpc.SteeringServiceStub(clients[1]).GetSteering(
    steer_pb2.GetSteeringRequest(port="p0"), timeout=5).generation == generation()
mine[0].cancel()  # one ends: the same client's next call goes through
next(steer_pb2_grpc.StatsStub(clients[0]).WatchStats(steer_pb2.WatchStatsRequest(interval_ms=100), timeout=5))
for s in mine:
    s.cancel()
for c in clients:
    c.close()


def settle():  # cancelled streams end within steerd's 200 ms wake-up and give their slots back
    deadline = time.time() + 5
    while threads() > base_threads + 4 and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)


settle()

# Watch streams: 16 at once over all clients (8 on each of two connections);
# the 17th, from a third client, is refused; abandoned ones give their slot
# and thread back.
for round_ in range(2):
    clients = [own_channel() for _ in range(3)]
    streams = [steer_pb2_grpc.StatsStub(clients[i // 8]).WatchStats(steer_pb2.WatchStatsRequest(interval_ms=100))
               for i in range(16)]
    for s in streams:
        next(s)  # each one is live
    extra = steer_pb2_grpc.EventsStub(clients[2]).WatchEvents(steer_pb2.WatchEventsRequest())
    try:
        next(extra)
        raise AssertionError("a 17th watch stream was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (e.code(), e.details())
        if round_ == 0:
            print("17th stream:", e.code().name, e.details())
    peak = threads()
    for s in streams:
        s.cancel()  # the client goes away without a word
    for c in clients:
        c.close()
    settle()
    print(f"round {round_}: threads {base_threads} -> {peak} with 16 streams -> {threads()} after cancelling")
    assert threads() <= base_threads + 4, "abandoned streams kept their threads"
print("bounds: all refused, nothing changed")
