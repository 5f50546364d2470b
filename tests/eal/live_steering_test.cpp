// The live-change scenarios every steering backend must pass, run over both:
// software (a dispatcher on a one-queue ring port) and hardware (a model NIC
// behind the device calls). Each rig (tests/support/rigs.h) says how its
// backend is set up and what only it can check. Traffic carries steer-trafgen
// evidence: the audit at TX judges order, the collected frames judge loss.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <chrono>
#include <thread>

#include "controller.h"
#include "eal_env.h"
#include "live_changes.h"
#include "rigs.h"

namespace steer {
namespace {

using testing::start_ok;
using testing::total;
using testing::total_dispatch;

rte_mempool* g_pool = nullptr;

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(
    new testing::EalEnvironment("steer_live_test", "(0-3)@(0,1)", 512, 16383, &g_pool));

template <class Rig>
class LiveSteering : public ::testing::Test {
 protected:
  // A port name of its own per test (ring ports outlive a closed dataplane).
  static std::string port_name(const char* what) {
    static int n = 0;
    return std::string(Rig::kName).substr(0, 2) + "_" + what + std::to_string(n++);
  }
  void wait_for_traffic(const trafgen::RingTraffic& t) {
    while (t.injected_live() < 2000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

using Rigs = ::testing::Types<testing::SoftwareRig, testing::HardwareRig>;
struct RigNames {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
TYPED_TEST_SUITE(LiveSteering, Rigs, RigNames);

// 1,000 live changes under traffic (RETA moves, key flips, a rule added and
// removed): nothing reordered, nothing lost, no drain timed out, the pool back
// at its baseline. With the parking disabled, the same run reorders.
TYPED_TEST(LiveSteering, ThousandLiveChangesLoseAndReorderNothing) {
  TypeParam rig(this->port_name("live"));
  const Deployment d = rig.deployment(true);
  StartOptions o = rig.options();
  if (TypeParam::kSlowUs)
    o.slow_worker_us = {{1, TypeParam::kSlowUs}, {2, TypeParam::kSlowUs}, {3, TypeParam::kSlowUs}};
  Dataplane dp;
  start_ok(dp, d, o);
  Controller ctl(dp, d);
  const auto baseline = rte_mempool_in_use_count(g_pool);
  auto traffic = rig.traffic(g_pool, TypeParam::kFlows, TypeParam::kBurstEveryUs);
  this->wait_for_traffic(*traffic);
  testing::ChangeTotals totals;
  testing::run_mixed_changes(dp, ctl, 1000, TypeParam::kSeed, &totals);
  if (this->HasFatalFailure()) return;
  const SteeringConfig final_cfg = *dp.steering("p0");
  traffic->finish();
  dp.stop();
  const auto s = dp.stats();
  EXPECT_EQ(total(s, &QueueStats::reordered), 0u) << "the audit saw a flow go backwards";
  EXPECT_EQ(traffic->collected(), traffic->injected()) << "lost packets";
  EXPECT_GT(traffic->injected(), 10000u);
  EXPECT_EQ(totals.timeouts, 0u);
  EXPECT_GT(totals.drained, 500u);
  EXPECT_GT(totals.held, 0u) << "moved flows were held at least sometimes";
  EXPECT_EQ(total(s, &QueueStats::tx_dropped), 0u);
  EXPECT_GT(s.queues[0].s.tx, 0u);
  EXPECT_GT(s.queues.back().s.tx, 0u);
  EXPECT_EQ(ctl.reports().size(), Controller::kHistory);
  rig.check_after_changes(s, totals, final_cfg);
  std::printf("1000 %s changes: %llu packets, %llu held, %llu drains\n", TypeParam::kName,
              (unsigned long long)traffic->injected(), (unsigned long long)totals.held,
              (unsigned long long)totals.drained);
  traffic.reset();
  dp.close();
  EXPECT_EQ(rte_mempool_in_use_count(g_pool), baseline);
}

// The negative control: without the drain, with queue 0's worker slowed so a
// backlog builds on it, flows moved back and forth overtake their own earlier
// packets, and the audit sees it.
TYPED_TEST(LiveSteering, WithoutDrainASlowLoserShowsReordering) {
  TypeParam rig(this->port_name("nodrain"));
  Deployment d = rig.deployment(false);
  d.ports[0].steering->rss.reta = reta_spread(128, {0});
  StartOptions o = rig.options();
  o.slow_worker_us[TypeParam::kQueue0Worker] = 1000;
  Dataplane dp;
  start_ok(dp, d, o);
  Controller ctl(dp, d);
  auto traffic = rig.traffic(g_pool, 256, 100);
  this->wait_for_traffic(*traffic);
  // Under TSan beside a busy CPU the slow loser's backlog was once gone
  // before a round of flips landed (0 reordered): flip again, at most five
  // rounds, until the audit has seen one.
  for (int round = 0; round < 5 && total(dp.stats(), &QueueStats::reordered) == 0; ++round) {
    testing::flip_all_buckets(ctl, 20);
    if (this->HasFatalFailure()) return;
  }
  traffic->finish();
  dp.stop();
  EXPECT_GT(total(dp.stats(), &QueueStats::reordered), 0u) << "the audit must be able to fail";
  traffic.reset();
  dp.close();
}

// A stalled worker (issue 10): the loser takes 100 ms per burst while its
// backlog waits, so the drain cannot see it pass its fence. The drain gives up
// at drain_timeout_ms, says so in the report, lets the held packets go, and
// the change returns in bounded time; the pool is whole after stop.
TYPED_TEST(LiveSteering, AStalledLoserTimesTheDrainOutAndIsReported) {
  TypeParam rig(this->port_name("stall"));
  Deployment d = rig.deployment(true);
  d.ports[0].steering->rss.reta = reta_spread(128, {0});
  d.ports[0].steering->drain_timeout_ms = 20;
  StartOptions o = rig.options();
  o.slow_worker_us[TypeParam::kQueue0Worker] = 100000;
  Dataplane dp;
  start_ok(dp, d, o);
  Controller ctl(dp, d);
  auto traffic = rig.traffic(g_pool, 256, 100);
  this->wait_for_traffic(*traffic);
  SteeringChange c;
  c.reta = reta_spread(128, {1});  // every flow leaves the stalled queue
  ChangeReport rep;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(ctl.change("p0", c, &rep).empty());
  const double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(rep.drained);
  EXPECT_GE(rep.timeouts, 1u) << "the loser never passed its fence, so the drain must have timed out";
  EXPECT_LT(took_ms, 2500.0) << "a timed-out drain must release within drain_timeout_ms plus the control side's slack";
  traffic->finish();
  dp.stop();
  const StatsSnapshot s = dp.stats();
  EXPECT_GE(total(s, &QueueStats::drain_timeouts) + total_dispatch(s, &DispatchStats::timeouts), 1u);
  traffic.reset();
  dp.close();
}

// A change that moves no bucket drains nothing; one bucket moved drains from
// its one loser to its one gainer.
TYPED_TEST(LiveSteering, AChangeThatMovesNothingDrainsNothing) {
  TypeParam rig(this->port_name("nop"));
  const Deployment d = rig.deployment(true);
  Dataplane dp;
  start_ok(dp, d, rig.options());
  Controller ctl(dp, d);
  SteeringChange c;
  c.reta = dp.steering("p0")->rss.reta;
  ChangeReport rep;
  ASSERT_TRUE(ctl.change("p0", c, &rep).empty());
  EXPECT_EQ(rep.buckets_moved, 0u);
  EXPECT_FALSE(rep.drained);
  EXPECT_EQ(rep.held, 0u);
  EXPECT_EQ(rep.generation, 1u);
  c.reta->at(0) = uint16_t(1 - c.reta->at(0));
  ASSERT_TRUE(ctl.change("p0", c, &rep).empty());
  EXPECT_EQ(rep.buckets_moved, 1u);
  EXPECT_TRUE(rep.drained);
  ASSERT_EQ(rep.losers.size(), 1u);
  ASSERT_EQ(rep.gainers.size(), 1u);
  EXPECT_NE(rep.losers[0], rep.gainers[0]);
  EXPECT_EQ(dp.generation("p0"), 2u);
  dp.stop();
  dp.close();
}

}  // namespace
}  // namespace steer
