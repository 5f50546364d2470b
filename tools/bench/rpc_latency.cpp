// Round-trip latency of RETA changes through gRPC, from a client like
// steerctl: N changes (16 buckets each) on one port, one after another.
// Prints one line:
//   rpc_change changes=N per_s=R p50_us=.. p99_us=.. max_us=.. server_apply_p50_us=.. server_drain_p99_us=..
// usage: steer-bench-rpc SOCKET PORT [N (default 500)]
//
// Rule-table scale (issue 12): steer-bench-rpc SOCKET PORT --rules R --changes K
// adds R rules (IPv4 /32 destination + UDP destination port, queue action,
// 198.18.0.0/15 addresses, one mask group) in K changes of R/K rules each,
// one after another, then removes them all in one change. Prints:
//   rule_scale rules=R changes=K inserts_per_s=.. total_s=.. live_p50_ms=.. live_max_ms=.. remove_ms=..
// where live is the server's apply time (validation, table build, publish
// until every dispatcher runs the new table) and total includes gRPC.
// With --keep after K, the rules stay and nothing is removed. With --stream,
// the K changes go on one ChangeStream, back to back (way=stream in the
// line), instead of one Change call each waiting for the last.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "steer/v1/steer.grpc.pb.h"

namespace {

// Change c of the rule_scale run: rules [first, first + n).
steer::v1::ChangeRequest rules_change(const std::string& port, int first, int n) {
  steer::v1::ChangeRequest req;
  req.set_port(port);
  for (int made = first; made < first + n; ++made) {
    auto* r = req.add_add();
    r->set_name("s" + std::to_string(made));
    r->set_priority(1000 + uint32_t(made));
    const uint32_t a = (198u << 24 | 18u << 16) + uint32_t(made);
    r->mutable_match()->set_ipv4_dst(std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                                     std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + "/32");
    r->mutable_match()->mutable_udp_dst()->set_value(9000);
    r->mutable_action()->set_queue(uint32_t(made % 2));
  }
  return req;
}

// One Change call after another, each waiting for its report.
bool add_one_by_one(steer::v1::SteeringService::Stub& stub, const std::vector<steer::v1::ChangeRequest>& reqs,
                    std::vector<double>* live) {
  for (size_t c = 0; c < reqs.size(); ++c) {
    const auto& req = reqs[c];
    grpc::ClientContext ctx;
    steer::v1::ChangeReport rep;
    if (auto s = stub.Change(&ctx, req, &rep); !s.ok()) {
      std::fprintf(stderr, "change %zu: %s\n", c, s.error_message().c_str());
      return false;
    }
    live->push_back(rep.apply_us() / 1000.0);
  }
  return true;
}

// The same changes on one ChangeStream: a thread writes them all while this
// one reads the reports, so changes are in flight back to back.
bool add_streamed(steer::v1::SteeringService::Stub& stub, const std::vector<steer::v1::ChangeRequest>& reqs,
                  std::vector<double>* live) {
  grpc::ClientContext ctx;
  auto stream = stub.ChangeStream(&ctx);
  std::thread writer([&] {
    for (const auto& req : reqs)
      if (!stream->Write(req)) break;
    stream->WritesDone();
  });
  steer::v1::ChangeReport rep;
  while (stream->Read(&rep)) live->push_back(rep.apply_us() / 1000.0);
  writer.join();
  if (auto s = stream->Finish(); !s.ok()) {
    std::fprintf(stderr, "change stream: %s\n", s.error_message().c_str());
    return false;
  }
  return true;
}

int rule_scale(steer::v1::SteeringService::Stub& stub, const std::string& port, int rules, int changes, bool keep,
               bool streamed) {
  const int per = (rules + changes - 1) / changes;
  // The requests are built before the clock starts: making the rules' texts
  // is the client's own work, not the API's. Serializing and sending them
  // is timed.
  std::vector<steer::v1::ChangeRequest> reqs;
  for (int made = 0; made < rules; made += per) reqs.push_back(rules_change(port, made, std::min(per, rules - made)));
  std::vector<double> live;
  const auto t0 = std::chrono::steady_clock::now();
  if (!(streamed ? add_streamed : add_one_by_one)(stub, reqs, &live)) return 1;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(live.begin(), live.end());
  const char* way = streamed ? " way=stream" : "";
  if (keep) {
    std::printf("rule_scale rules=%d changes=%zu%s inserts_per_s=%.0f total_s=%.2f live_p50_ms=%.2f live_max_ms=%.2f\n",
                rules, live.size(), way, rules / secs, secs, live[live.size() / 2], live.back());
    return 0;
  }
  steer::v1::ChangeRequest rm;
  rm.set_port(port);
  for (int i = 0; i < rules; ++i) rm.add_remove("s" + std::to_string(i));
  grpc::ClientContext ctx;
  steer::v1::ChangeReport rep;
  const auto r0 = std::chrono::steady_clock::now();
  if (auto s = stub.Change(&ctx, rm, &rep); !s.ok()) {
    std::fprintf(stderr, "remove: %s\n", s.error_message().c_str());
    return 1;
  }
  const double remove_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r0).count();
  std::printf(
      "rule_scale rules=%d changes=%zu%s inserts_per_s=%.0f total_s=%.2f live_p50_ms=%.2f live_max_ms=%.2f "
      "remove_ms=%.1f\n",
      rules, live.size(), way, rules / secs, secs, live[live.size() / 2], live.back(), remove_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 7 && std::string(argv[3]) == "--rules" && std::string(argv[5]) == "--changes") {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(16 * 1024 * 1024);
    auto stub = steer::v1::SteeringService::NewStub(
        grpc::CreateCustomChannel(std::string("unix:") + argv[1], grpc::InsecureChannelCredentials(), args));
    bool keep = false, streamed = false;
    for (int i = 7; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--keep") {
        keep = true;
      } else if (a == "--stream") {
        streamed = true;
      } else {
        std::fprintf(stderr, "unknown option %s: use --keep or --stream\n", argv[i]);
        return 2;
      }
    }
    return rule_scale(*stub, argv[2], std::max(1, std::atoi(argv[4])), std::max(1, std::atoi(argv[6])), keep, streamed);
  }
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
