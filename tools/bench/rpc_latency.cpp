// Round-trip latency of RETA changes through gRPC, from a client like
// steerctl: N changes (16 buckets each) on one port, one after another.
// Prints one line:
//   rpc_change changes=N per_s=R p50_us=.. p99_us=.. max_us=.. server_apply_p50_us=.. server_drain_p99_us=..
// usage: steer-bench-rpc SOCKET PORT [N (default 500)]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "steer/v1/steer.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SOCKET PORT [N]\n", argv[0]);
    return 2;
  }
  const int n = argc > 3 ? std::atoi(argv[3]) : 500;
  auto stub = steer::v1::SteeringService::NewStub(
      grpc::CreateChannel(std::string("unix:") + argv[1], grpc::InsecureChannelCredentials()));
  steer::v1::Steering st;
  {
    grpc::ClientContext ctx;
    steer::v1::GetSteeringRequest req;
    req.set_port(argv[2]);
    if (auto s = stub->GetSteering(&ctx, req, &st); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.error_message().c_str());
      return 1;
    }
  }
  std::vector<uint32_t> reta(st.rss().reta().begin(), st.rss().reta().end());
  uint32_t queues = 1;
  for (uint32_t q : reta) queues = std::max(queues, q + 1);
  std::mt19937 rng(7);
  std::vector<double> rtt, apply, drain;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 16; ++k) reta[rng() % reta.size()] = rng() % queues;
    steer::v1::ChangeRequest req;
    req.set_port(argv[2]);
    for (uint32_t q : reta) req.mutable_reta()->add_entries(q);
    grpc::ClientContext ctx;
    steer::v1::ChangeReport rep;
    const auto a = std::chrono::steady_clock::now();
    if (auto s = stub->Change(&ctx, req, &rep); !s.ok()) {
      std::fprintf(stderr, "change %d: %s\n", i, s.error_message().c_str());
      return 1;
    }
    rtt.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    apply.push_back(rep.apply_us());
    drain.push_back(rep.drain_us());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto pct = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
  };
  std::printf(
      "rpc_change changes=%d per_s=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f server_apply_p50_us=%.1f "
      "server_drain_p99_us=%.1f\n",
      n, n / secs, pct(rtt, 0.5), pct(rtt, 0.99), pct(rtt, 1.0), pct(apply, 0.5), pct(drain, 0.99));
  return 0;
}
