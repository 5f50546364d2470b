// One port under live steering, as each backend runs it: the same scenarios
// (tests/eal/live_steering_test.cpp) start a rig, send it traffic and change
// its steering; the rig says how its backend is set up and what only it can
// check afterwards.
//
// SoftwareRig: a ring port with one device RX queue (a single-queue VM NIC);
// lcore 1 dispatches, lcores 2 and 3 echo logical queues 0 and 1.
// HardwareRig: a model NIC (model_nic.h) with two device queues behind the
// hardware backend's device calls; lcores 1 and 2 poll and echo them.
#pragma once

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

#include "deployments.h"
#include "live_changes.h"
#include "model_nic.h"
#include "ring_traffic.h"

namespace steer::testing {

// The model NIC holds what the dataplane says is running: the RETA repeated
// to the device's size, the key, `flows` flows.
inline void expect_device_matches(const ModelNic& nic, const SteeringConfig& cfg, size_t flows) {
  const auto reta = nic.reta();
  ASSERT_EQ(reta.size(), 512u);
  for (size_t i = 0; i < reta.size(); ++i) ASSERT_EQ(reta[i], cfg.rss.reta[i % cfg.rss.reta.size()]) << "bucket " << i;
  EXPECT_EQ(nic.key(), cfg.rss.key);
  EXPECT_EQ(nic.flow_count(), flows);
}

struct SoftwareRig {
  static constexpr const char* kName = "software";
  // The thousand-change run: 512 flows, a burst every 40 us, workers at full speed.
  static constexpr uint32_t kFlows = 512, kBurstEveryUs = 40, kSlowUs = 0, kSeed = 5;
  static constexpr unsigned kQueue0Worker = 2;  // the lcore that echoes logical queue 0

  explicit SoftwareRig(const std::string& name) {
    rx_ = rte_ring_create((name + "_rx").c_str(), 4096, 0, RING_F_SC_DEQ);
    for (unsigned q = 0; q < 2; ++q)
      tx_.push_back(rte_ring_create((name + "_tx" + std::to_string(q)).c_str(), 8192, 0, RING_F_SP_ENQ));
    const int id = rte_eth_from_rings(name.c_str(), &rx_, 1, tx_.data(), 2, 0);
    EXPECT_GE(id, 0);
    char devname[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(uint16_t(id), devname);
    devname_ = devname;
  }
  Deployment deployment(bool drain) const {
    Deployment d = two_queue_deployment(devname_, drain);
    LcoreConfig disp;
    disp.lcore = 1;
    disp.dispatch = {{0, 0}};
    d.lcores = {disp, {2, {{0, 0}}, {}}, {3, {{0, 1}}, {}}};
    return d;
  }
  StartOptions options() const { return {}; }
  std::unique_ptr<trafgen::RingTraffic> traffic(rte_mempool* pool, uint32_t flows, unsigned every_us) {
    return std::make_unique<trafgen::RingTraffic>(pool, rx_, tx_, flows, every_us);
  }
  // After the thousand changes: the dispatcher never found a ring full.
  void check_after_changes(const StatsSnapshot& s, const ChangeTotals&, const SteeringConfig&) const {
    ASSERT_EQ(s.dispatchers.size(), 1u);
    EXPECT_EQ(s.dispatchers[0].ring_full, 0u);
  }

 private:
  rte_ring* rx_ = nullptr;
  std::vector<rte_ring*> tx_;
  std::string devname_;
};

struct HardwareRig {
  static constexpr const char* kName = "hardware";
  // 32 flows share ~500 kpps and both workers spend 40 us per burst, so a
  // moved flow usually still has packets queued on its loser when the change
  // lands: with the gainer's parking disabled this run reorders.
  static constexpr uint32_t kFlows = 32, kBurstEveryUs = 60, kSlowUs = 40, kSeed = 7;
  static constexpr unsigned kQueue0Worker = 1;

  explicit HardwareRig(const std::string& name) : nic_(name, 2, 2) {}
  Deployment deployment(bool drain) const {
    Deployment d = two_queue_deployment(nic_.devname(), drain);
    d.lcores = {{1, {{0, 0}}, {}}, {2, {{0, 1}}, {}}};
    return d;
  }
  StartOptions options() {
    StartOptions o;
    o.device_factory = [this](const std::string& port, uint16_t) { return port == "p0" ? nic_.device() : nullptr; };
    return o;
  }
  std::unique_ptr<trafgen::RingTraffic> traffic(rte_mempool* pool, uint32_t flows, unsigned every_us) {
    return std::make_unique<trafgen::RingTraffic>(
        pool, [this](rte_mbuf** p, unsigned n) { nic_.deliver(p, n); }, nic_.tx(), flows, every_us);
  }
  // After the thousand changes: no RX queue overflowed, the per-queue drain
  // counters add up to the reports, and the device holds the running config.
  void check_after_changes(const StatsSnapshot& s, const ChangeTotals& t, const SteeringConfig& cfg) const {
    EXPECT_EQ(nic_.dropped(), 0u) << "an RX queue overflowed";
    EXPECT_EQ(total(s, &QueueStats::held), t.held) << "the per-queue counters add up to the reports";
    EXPECT_EQ(total(s, &QueueStats::drain_timeouts), 0u);
    expect_device_matches(nic_, cfg, 2 * cfg.flows.size());  // one IPv4 and one IPv6 flow per rule
  }
  ModelNic& nic() { return nic_; }

 private:
  ModelNic nic_;
};

}  // namespace steer::testing
