// Change latency under load: live RETA moves while a generator thread injects
// steer-trafgen frames across 512 flows and collects the echoes.
//   software:  a ring port with one device queue, a dispatcher, two echo workers;
//   model-nic: the hardware backend on a model NIC (tools/model_nic) with two
//              device queues, one echo worker each, no dispatcher.
// Prints one line:
//   change_latency backend=B changes=N pps=P apply_p50_us=.. apply_p99_us=.. drain_p50_us=.. drain_p99_us=..
//                  held_p50=.. held_p99=.. hold_p99_us=.. timeouts=.. reordered=.. lost=..
// usage: steer-bench-change-latency [changes (default 2000)] [burst interval us (default 40)]
//                                   [software|model-nic (default software)]
//
// With --rules N first: rule-table scale through the Controller, no gRPC and
// no traffic: N rules (/32 destination + UDP port, each to a queue, as
// steer-bench-rpc makes them) added in `changes` changes, drain on. Prints
//   rule_scale_inproc backend=B rules=N changes=M inserts_per_s=.. total_s=.. change_p50_us=.. change_max_us=..
//                     removes_per_s=.. remove_total_s=..
// (then the same rules removed in as many changes).
// The model NIC's own tables are ordered maps, so what grows with N is the
// backend's and the controller's work.
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "controller.h"
#include "deployments.h"
#include "engine.h"
#include "model_nic.h"
#include "ring_traffic.h"
#include "steer/dataplane.h"
#include "steer/steering.h"

using namespace steer;

namespace {

double pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

// Rules [first, first + n) of the rule-scale run.
SteeringChange rules_change(int first, int n) {
  SteeringChange c;
  for (int made = first; made < first + n; ++made) {
    FlowRule r{"s" + std::to_string(made), 1000 + uint32_t(made), {}, {}};
    const uint32_t a = (198u << 24 | 18u << 16) + uint32_t(made);
    r.match.ipv4_dst = std::array<uint8_t, 4>{uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
    r.match.udp_dst = PortMatch{9000, 0xffff};
    r.action.queue = uint16_t(made % 2);
    c.add.push_back(std::move(r));
  }
  return c;
}

int rule_scale(Controller& controller, const std::string& backend, int rules, int changes) {
  const int per = (rules + changes - 1) / changes;
  std::vector<SteeringChange> cs;
  for (int made = 0; made < rules; made += per) cs.push_back(rules_change(made, std::min(per, rules - made)));
  std::vector<double> took;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < cs.size(); ++i) {
    const auto c0 = std::chrono::steady_clock::now();
    ChangeReport rep;
    if (auto e = controller.change("p0", cs[i], &rep); !e.empty()) {
      std::fprintf(stderr, "change %zu: %s: %s\n", i, e[0].path.c_str(), e[0].message.c_str());
      return 1;
    }
    took.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - c0).count());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The same rules removed again in as many changes, the oldest first.
  const auto r0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < cs.size(); ++i) {
    SteeringChange rm;
    for (const FlowRule& r : cs[i].add) rm.remove.push_back(r.name);
    ChangeReport rep;
    if (auto e = controller.change("p0", rm, &rep); !e.empty()) {
      std::fprintf(stderr, "removal %zu: %s: %s\n", i, e[0].path.c_str(), e[0].message.c_str());
      return 1;
    }
  }
  const double rsecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
  std::printf(
      "rule_scale_inproc backend=%s rules=%d changes=%zu inserts_per_s=%.0f total_s=%.2f change_p50_us=%.1f "
      "change_max_us=%.1f removes_per_s=%.0f remove_total_s=%.2f\n",
      backend.c_str(), rules, cs.size(), rules / secs, secs, pct(took, 0.5), pct(took, 1.0), rules / rsecs, rsecs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rules = 0;
  if (argc > 2 && std::string(argv[1]) == "--rules") {
    rules = std::atoi(argv[2]);
    argv += 2;
    argc -= 2;
  }
  const int changes = argc > 1 ? std::atoi(argv[1]) : 2000;
  const unsigned every_us = argc > 2 ? unsigned(std::atoi(argv[2])) : 40;
  const std::string backend = argc > 3 ? argv[3] : "software";
  if (backend != "software" && backend != "model-nic") {
    std::fprintf(stderr, "backend: \"%s\" is not software or model-nic\n", backend.c_str());
    return 2;
  }
  const bool hw = backend == "model-nic";
  const std::string prefix = "steer_chlat_" + std::to_string(getpid());
  std::vector<std::string> args = {"bench",       "--no-huge",     "--no-pci",      "-m",
                                   "512",         "--file-prefix", prefix,          "--lcores",
                                   "(0-3)@(0,1)", "--log-level",   "lib.eal:error", "--no-telemetry"};
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  if (rte_eal_init(int(av.size()), av.data()) < 0) return 1;
  rte_mempool* pool = rte_pktmbuf_pool_create("bench_pool", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  rte_ring* rx = nullptr;
  std::vector<rte_ring*> tx;
  std::unique_ptr<testing::ModelNic> nic;
  std::string devname;
  if (hw) {
    nic = std::make_unique<testing::ModelNic>("bench_nic", 2, 2);
    devname = nic->devname();
    tx = nic->tx();
  } else {
    rx = rte_ring_create("b_rx", 4096, 0, RING_F_SC_DEQ);
    tx = {rte_ring_create("b_tx0", 8192, 0, RING_F_SP_ENQ), rte_ring_create("b_tx1", 8192, 0, RING_F_SP_ENQ)};
    int port = rte_eth_from_rings("bench0", &rx, 1, tx.data(), 2, 0);
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(uint16_t(port), name);
    devname = name;
  }

  Deployment d = testing::two_queue_deployment(devname, true);
  d.ports[0].steering->drain_timeout_ms = 100;  // the default, as this bench has always run
  LcoreConfig disp;
  disp.lcore = 1;
  disp.dispatch = {{0, 0}};
  if (hw)
    d.lcores = {{2, {{0, 0}}, {}}, {3, {{0, 1}}, {}}};
  else
    d.lcores = {disp, {2, {{0, 0}}, {}}, {3, {{0, 1}}, {}}};
  d.pipelines = {{{{0, 0}, {0, 1}}, Action::Echo, {}, {}}};
  Dataplane dp;
  StartOptions options;
  if (hw) options.device_factory = [&nic](const std::string&, uint16_t) { return nic->device(); };
  if (auto e = dp.start(d, nullptr, options); !e.empty()) {
    std::fprintf(stderr, "%s: %s\n", e[0].path.c_str(), e[0].message.c_str());
    return 1;
  }

  auto inject = [&](rte_mbuf** p, unsigned n) {
    if (hw) {
      nic->deliver(p, n);
      return;
    }
    unsigned sent = 0;
    while (sent < n) sent += rte_ring_enqueue_burst(rx, reinterpret_cast<void**>(p + sent), n - sent, nullptr);
  };
  Controller controller(dp, d);
  if (rules > 0) {
    const int rc = rule_scale(controller, backend, rules, changes);
    dp.stop();
    dp.close();
    rte_eal_cleanup();
    std::filesystem::remove_all("/var/run/dpdk/" + prefix);
    return rc;
  }
  trafgen::RingTraffic traffic(pool, inject, tx, 512, every_us, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  std::mt19937 rng(1);
  std::vector<double> apply, drain, held, hold;
  uint64_t timeouts = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t injected0 = traffic.injected_live();
  for (int i = 0; i < changes; ++i) {
    SteeringChange c;
    auto reta = dp.steering("p0")->rss.reta;
    for (int k = 0; k < 16; ++k) reta[rng() % reta.size()] = uint16_t(rng() % 2);
    c.reta = reta;
    ChangeReport rep;
    if (auto e = controller.change("p0", c, &rep); !e.empty()) {
      std::fprintf(stderr, "change %d: %s\n", i, e[0].message.c_str());
      return 1;
    }
    if (!rep.drained) continue;
    apply.push_back(rep.apply_us);
    drain.push_back(rep.drain_us);
    held.push_back(double(rep.held));
    hold.push_back(rep.longest_hold_us);
    timeouts += rep.timeouts;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t offered = traffic.injected_live() - injected0;  // during the changes only
  traffic.finish();
  dp.stop();
  uint64_t reordered = 0;
  for (const auto& q : dp.stats().queues) reordered += q.s.reordered;
  std::printf(
      "change_latency backend=%s changes=%zu pps=%.0f apply_p50_us=%.1f apply_p99_us=%.1f drain_p50_us=%.1f "
      "drain_p99_us=%.1f "
      "held_p50=%.0f held_p99=%.0f hold_p99_us=%.1f timeouts=%llu reordered=%llu lost=%lld\n",
      backend.c_str(), apply.size(), double(offered) / secs, pct(apply, 0.5), pct(apply, 0.99), pct(drain, 0.5),
      pct(drain, 0.99), pct(held, 0.5), pct(held, 0.99), pct(hold, 0.99), (unsigned long long)timeouts,
      (unsigned long long)reordered, (long long)(traffic.injected() - traffic.collected()));
  dp.close();
  rte_eal_cleanup();
  std::filesystem::remove_all("/var/run/dpdk/" + prefix);
  return reordered == 0 && traffic.injected() == traffic.collected() ? 0 : 3;
}
