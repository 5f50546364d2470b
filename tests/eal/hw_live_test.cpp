// Tier 2 for the hardware steering backend: a model NIC (model_nic.h) behind
// the SteeringDevice calls, two workers polling its two device queues run to
// completion, no dispatcher. The same evidence as the software tests: the
// ordering audit at TX judges order, the collected frames judge loss.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "controller.h"
#include "eal_env.h"
#include "live_changes.h"
#include "model_nic.h"
#include "rigs.h"
#include "ring_traffic.h"
#include "steer/dataplane.h"
#include "steer/steering.h"

using ::testing::HasSubstr;

namespace steer {
namespace {

using testing::start_ok;
using testing::total;

rte_mempool* g_pool = nullptr;

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(
    new testing::EalEnvironment("steer_hw_test", "(0-3)@(0,1)", 512, 16383, &g_pool));

// Lcores 1 and 2 poll device queues 0 and 1 and echo on TX queues 0 and 1.
Deployment deployment(const testing::ModelNic& nic, bool drain) {
  Deployment d = testing::two_queue_deployment(nic.devname(), drain);
  d.lcores = {{1, {{0, 0}}, {}}, {2, {{0, 1}}, {}}};
  return d;
}

// Start options that put `nic` behind p0's device calls; `slow_us` makes
// both workers (lcores 1 and 2) spend that long per burst.
StartOptions use_model(testing::ModelNic& nic, uint32_t slow_us = 0) {
  StartOptions o;
  o.device_factory = [&nic](const std::string& port, uint16_t) { return port == "p0" ? nic.device() : nullptr; };
  if (slow_us) o.slow_worker_us = {{1, slow_us}, {2, slow_us}};
  return o;
}

struct Traffic : trafgen::RingTraffic {
  Traffic(testing::ModelNic& nic, uint32_t flows, unsigned burst_every_us)
      : RingTraffic(
            g_pool, [&nic](rte_mbuf** p, unsigned n) { nic.deliver(p, n); }, nic.tx(), flows, burst_every_us) {}
};

using testing::expect_device_matches;

FlowRule udp_rule(const std::string& name, uint32_t prio, uint16_t port, uint16_t mask, uint16_t queue) {
  FlowRule r{name, prio, {}, {}};
  r.match.udp_src = PortMatch{port, mask};  // no IP family: an IPv4 and an IPv6 flow
  r.action.queue = queue;
  return r;
}

// A UDP frame from source port `sport`, IPv4 or IPv6.
std::vector<uint8_t> udp_frame(uint16_t sport, bool v6) {
  std::vector<uint8_t> f(v6 ? 14 + 40 + 8 : 14 + 20 + 8, 0);
  f[12] = v6 ? 0x86 : 0x08;
  f[13] = v6 ? 0xdd : 0x00;
  uint8_t* ip = f.data() + 14;
  if (v6) {
    ip[0] = 0x60;
    ip[5] = 8;   // payload length
    ip[6] = 17;  // next header
    ip[7] = 64;
    ip[8] = 0x20;  // 2001:db8::1 -> 2001:db8::2
    ip[9] = 0x01;
    ip[10] = 0x0d;
    ip[11] = 0xb8;
    ip[23] = 1;
    std::copy(ip + 8, ip + 24, ip + 24);
    ip[39] = 2;
  } else {
    ip[0] = 0x45;
    ip[3] = 28;
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
  }
  uint8_t* udp = ip + (v6 ? 40 : 20);
  udp[0] = uint8_t(sport >> 8);
  udp[1] = uint8_t(sport);
  udp[3] = 53;
  udp[5] = 8;
  return f;
}

int queue_of(const testing::ModelNic& nic, uint16_t sport, bool v6) {
  const auto f = udp_frame(sport, v6);
  return nic.queue_of(f.data(), f.size());
}

// Replacing a rule swaps its flows on the device; removing and re-adding it in
// one change leaves it there; the IPv6 twin steers like the IPv4 flow.
TEST(HardwareSteering, ReplacedAndRemovedRulesChangeTheDevice) {
  testing::ModelNic nic("hw_replace", 2, 2);
  Deployment d = deployment(nic, true);
  d.ports[0].steering->flows = {udp_rule("dns", 10, 4000, 0xffff, 1)};
  d.ports[0].steering->rss.reta = reta_spread(128, {0});  // without the rule, everything goes to 0
  Dataplane dp;
  start_ok(dp, d, use_model(nic));
  Controller ctl(dp, d);
  EXPECT_EQ(queue_of(nic, 4000, false), 1);
  EXPECT_EQ(queue_of(nic, 4000, true), 1);
  EXPECT_EQ(queue_of(nic, 4001, false), 0);
  ChangeReport rep;
  SteeringChange replace;
  replace.add = {udp_rule("dns", 10, 4000, 0xffff, 0)};
  ASSERT_TRUE(ctl.change("p0", replace, &rep).empty());
  EXPECT_EQ(nic.flow_count(), 2u);
  EXPECT_EQ(queue_of(nic, 4000, false), 0);
  EXPECT_EQ(queue_of(nic, 4000, true), 0);
  SteeringChange again;  // removed and added back, identical, in one change
  again.remove = {"dns"};
  again.add = {udp_rule("dns", 10, 4000, 0xffff, 0)};
  ASSERT_TRUE(ctl.change("p0", again, &rep).empty());
  EXPECT_EQ(nic.flow_count(), 2u);
  EXPECT_EQ(queue_of(nic, 4000, true), 0);
  SteeringChange drop;
  FlowRule blk{"blk", 0, {}, {}};
  blk.match.udp_src = PortMatch{4001, 0xffff};
  blk.action.drop = true;
  drop.add = {blk};
  drop.reta = reta_spread(128, {1});
  ASSERT_TRUE(ctl.change("p0", drop, &rep).empty());
  EXPECT_EQ(queue_of(nic, 4001, false), -1);
  EXPECT_EQ(queue_of(nic, 4002, false), 1);
  SteeringChange gone;
  gone.remove = {"dns", "blk"};
  ASSERT_TRUE(ctl.change("p0", gone, &rep).empty());
  EXPECT_EQ(nic.flow_count(), 0u);
  EXPECT_EQ(queue_of(nic, 4001, false), 1);
  EXPECT_EQ(dp.generation("p0"), 4u);
  dp.close();
}

// A change's new rules are asked of rte_flow_validate once each (by the
// check before anything is touched), not again when they are created: on a
// real NIC each ask is a driver call. A deployment's rules at start, which
// nothing checked before, are validated as they are created.
TEST(HardwareSteering, AChangesRulesAreValidatedOnce) {
  testing::ModelNic nic("hw_validate", 2, 2);
  Deployment d = deployment(nic, true);
  d.ports[0].steering->flows = {udp_rule("dns", 10, 4000, 0xffff, 1)};
  Dataplane dp;
  start_ok(dp, d, use_model(nic));
  EXPECT_EQ(nic.validations(), nic.flow_count()) << "start: one validation per flow created";
  Controller ctl(dp, d);
  const unsigned v0 = nic.validations();
  const size_t f0 = nic.flow_count();
  SteeringChange c;
  for (uint16_t k = 0; k < 5; ++k) c.add.push_back(udp_rule("r" + std::to_string(k), 20 + k, 5000 + k, 0xffff, k % 2));
  ChangeReport rep;
  ASSERT_TRUE(ctl.change("p0", c, &rep).empty());
  const size_t made = nic.flow_count() - f0;
  EXPECT_EQ(made, 10u) << "each rule is an IPv4 and an IPv6 flow";
  EXPECT_EQ(nic.validations() - v0, made);
  dp.close();
}

TEST(HardwareSteering, AutoChoosesHardwareOnADeviceThatTakesEverything) {
  testing::ModelNic nic("hw_probe", 2, 2);
  Deployment d = deployment(nic, true);
  d.ports[0].steering->flows = {udp_rule("dns", 10, 53, 0xffff, 1)};
  Dataplane dp;
  start_ok(dp, d, use_model(nic));
  Controller ctl(dp, d);
  ASSERT_EQ(dp.ports().size(), 1u);
  EXPECT_EQ(dp.ports()[0].backend, SteeringMode::Hardware);
  EXPECT_THAT(dp.ports()[0].backend_reason, HasSubstr("the device took the RSS key, hash types, RETA and 1 rules"));
  expect_device_matches(nic, *d.ports[0].steering, 2);
  EXPECT_TRUE(dp.stats().dispatchers.empty()) << "hardware steering needs no dispatcher";
  dp.close();
  EXPECT_EQ(nic.flow_count(), 0u) << "closing takes the rules off the device";
}

TEST(HardwareSteering, ARuleTheDeviceRefusesMakesAutoSteerInSoftware) {
  testing::ModelNic nic("hw_refuse", 2, 2);
  nic.refuse_vlan = true;
  Deployment d = deployment(nic, true);
  FlowRule r{"tagged", 5, {}, {}};
  r.match.vlan = 100;
  r.action.queue = 1;
  d.ports[0].steering->flows = {udp_rule("dns", 10, 53, 0xffff, 1), r};
  d.lcores.push_back({3, {}, {{0, 0}}});  // a dispatcher, for the fallback
  {
    Dataplane dp;
    start_ok(dp, d, use_model(nic));
    Controller ctl(dp, d);
    EXPECT_EQ(dp.ports()[0].backend, SteeringMode::Software);
    EXPECT_THAT(dp.ports()[0].backend_reason,
                HasSubstr("rule tagged: rte_flow_validate refused a pattern item: VLAN matching is not supported"));
    EXPECT_EQ(nic.flow_count(), 0u) << "the rule created before the refusal is gone again";
    ASSERT_EQ(dp.stats().dispatchers.size(), 1u);
    dp.close();
  }
  // Closing the dataplane closed that ring port: the same refusal on a fresh one.
  testing::ModelNic nic2("hw_refuse2", 2, 2);
  nic2.refuse_vlan = true;
  d.ports[0].device = nic2.devname();
  d.ports[0].steering->mode = SteeringMode::Hardware;
  Dataplane dp;
  auto errs = dp.start(d, nullptr, use_model(nic2));
  ASSERT_FALSE(errs.empty());
  EXPECT_EQ(errs[0].path, "ports[0].steering.mode");
  EXPECT_THAT(errs[0].message, HasSubstr("cannot steer in hardware: rule tagged: rte_flow_validate refused"));
  EXPECT_THAT(errs[0].message, HasSubstr("use mode: auto or software"));
  EXPECT_EQ(nic2.flow_count(), 0u);
}

// Fewer TX queues than senders is a software-steering deployment (the TX
// hand-back runs on the dispatcher), even on a device that could steer.
TEST(HardwareSteering, TxHandBackKeepsAutoInSoftware) {
  testing::ModelNic nic("hw_handback", 2, 1);
  Deployment d = deployment(nic, true);
  d.ports[0].tx_queues = 1;
  d.lcores.push_back({3, {}, {{0, 0}}});
  Dataplane dp;
  start_ok(dp, d, use_model(nic));
  Controller ctl(dp, d);
  EXPECT_EQ(dp.ports()[0].backend, SteeringMode::Software);
  EXPECT_THAT(dp.ports()[0].backend_reason, HasSubstr("TX hand-back runs on a software dispatcher"));
  dp.close();
}

// Where the PMD cannot count a queue's backlog, a loser's fence is its first
// empty poll after the change: slower to cross under load, just as safe.
TEST(HardwareSteering, WithoutABacklogCountTheFenceIsAnEmptyPoll) {
  testing::ModelNic nic("hw_nocount", 2, 2);
  nic.count_backlog = false;
  Dataplane dp;
  start_ok(dp, deployment(nic, true), use_model(nic));
  Controller ctl(dp, deployment(nic, true));
  Traffic traffic(nic, 256, 60);
  std::mt19937 rng(3);
  while (traffic.injected_live() < 2000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  uint64_t held = 0;
  for (int i = 0; i < 200; ++i) {
    SteeringChange c;
    auto reta = dp.steering("p0")->rss.reta;
    for (int k = 0; k < 32; ++k) reta[rng() % reta.size()] = uint16_t(rng() % 2);
    c.reta = reta;
    ChangeReport rep;
    ASSERT_TRUE(ctl.change("p0", c, &rep).empty());
    EXPECT_EQ(rep.timeouts, 0u);
    held += rep.held;
  }
  traffic.finish();
  dp.stop();
  EXPECT_EQ(total(dp.stats(), &QueueStats::reordered), 0u);
  EXPECT_EQ(traffic.collected(), traffic.injected());
  EXPECT_GT(held, 0u);
  dp.close();
}

// A change the device refuses part-way is undone step by step: the device,
// the running config and the generation are what they were.
TEST(HardwareSteering, AFailedDeviceCallRollsTheWholeChangeBack) {
  testing::ModelNic nic("hw_rollback", 2, 2);
  Deployment d = deployment(nic, true);
  d.ports[0].steering->flows = {udp_rule("dns", 10, 53, 0xffff, 1)};
  Dataplane dp;
  start_ok(dp, d, use_model(nic));
  Controller ctl(dp, d);
  const SteeringConfig before = *dp.steering("p0");
  auto unchanged = [&] {
    EXPECT_EQ(dp.generation("p0"), 0u);
    EXPECT_EQ(dp.steering("p0")->rss.reta, before.rss.reta);
    EXPECT_EQ(dp.steering("p0")->rss.key, before.rss.key);
    EXPECT_EQ(dp.steering("p0")->flows, before.flows);
    expect_device_matches(nic, before, 2);
  };
  std::vector<uint8_t> other_key = before.rss.key;
  std::reverse(other_key.begin(), other_key.end());

  // New rule created, key set, then the RETA refused: all three undone.
  nic.fail_reta = true;
  SteeringChange c;
  c.key = other_key;
  c.reta = reta_spread(128, {1, 0});
  c.add = {udp_rule("pin", 20, 0x0100, 0x0300, 0)};
  ChangeReport rep;
  auto errs = ctl.change("p0", c, &rep);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, HasSubstr("rte_eth_dev_rss_reta_update refused the RETA"));
  EXPECT_THAT(errs[0].message, HasSubstr("rolled back, the port stays at generation 0"));
  unchanged();
  nic.fail_reta = false;

  // The IPv4 flow of a rule created, its IPv6 flow refused: the IPv4 one goes.
  nic.creates_before_failure = 1;
  SteeringChange add;
  add.add = {udp_rule("pin", 20, 0x0100, 0x0300, 0)};
  errs = ctl.change("p0", add, &rep);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, HasSubstr("rule pin: rte_flow_create refused the rule: out of flow table entries"));
  unchanged();
  nic.creates_before_failure = -1;

  // Refused by rte_flow_validate: named by field, and the device not touched.
  nic.refuse_vlan = true;
  const unsigned calls = nic.device_calls();
  FlowRule tagged{"tagged", 5, {}, {}};
  tagged.match.vlan = 7;
  tagged.action.queue = 0;
  SteeringChange v;
  v.add = {tagged};
  v.reta = reta_spread(128, {1});
  errs = ctl.change("p0", v, &rep);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "steering.flows[1]");
  EXPECT_THAT(errs[0].message, HasSubstr("VLAN matching is not supported by the model NIC"));
  EXPECT_EQ(nic.device_calls(), calls);
  unchanged();

  // A RETA size the device cannot repeat evenly is refused before any call.
  SteeringChange odd;
  odd.reta = reta_spread(96, {0, 1});
  errs = ctl.change("p0", odd, &rep);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].path, "steering.rss.reta");
  EXPECT_EQ(nic.device_calls(), calls);
  unchanged();

  // And the same change goes through once the device takes it.
  errs = ctl.change("p0", c, &rep);
  ASSERT_TRUE(errs.empty()) << errs[0].message;
  EXPECT_EQ(rep.generation, 1u);
  expect_device_matches(nic, *dp.steering("p0"), 4);
  EXPECT_EQ(nic.key(), other_key);
  dp.close();
}

// Declarative apply over two ports: validated on both first, then applied
// port by port. When the second port's device refuses at apply time (after
// rte_flow_validate said yes), the first port is changed back.
TEST(HardwareSteering, ApplyChangesTheFirstPortBackWhenTheSecondFails) {
  testing::ModelNic nic0("hw_apply0", 2, 2), nic1("hw_apply1", 2, 1);
  Deployment d = deployment(nic0, true);
  PortConfig p1 = d.ports[0];
  p1.name = "p1";
  p1.device = nic1.devname();
  p1.tx_queues = 1;
  d.ports.push_back(p1);
  d.lcores.push_back({3, {{1, 0}, {1, 1}}, {}});
  d.pipelines.push_back({{{1, 0}, {1, 1}}, Action::Echo, {}, {}});
  Dataplane dp;
  StartOptions two;
  two.device_factory = [&](const std::string& port, uint16_t) { return port == "p0" ? nic0.device() : nic1.device(); };
  start_ok(dp, d, two);
  Controller ctl(dp, d);
  ASSERT_EQ(dp.ports()[1].backend, SteeringMode::Hardware);
  Deployment want = d;
  want.ports[0].steering->rss.reta = reta_spread(128, {1, 0});
  want.ports[1].steering->flows = {udp_rule("dns", 10, 53, 0xffff, 1)};

  nic1.creates_before_failure = 0;  // p1's device will refuse the rule when it is created
  ApplyOutcome out = ctl.apply(want, false);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].path, "ports[1].port");
  EXPECT_THAT(out.errors[0].message, HasSubstr("out of flow table entries"));
  EXPECT_THAT(out.errors[0].message, HasSubstr("rolled back ports changed before it: p0 (generation 2)"));
  EXPECT_EQ(dp.steering("p0")->rss.reta, d.ports[0].steering->rss.reta);
  expect_device_matches(nic0, *d.ports[0].steering, 0);
  EXPECT_EQ(dp.generation("p1"), 0u);
  EXPECT_EQ(nic1.flow_count(), 0u);

  nic1.creates_before_failure = -1;
  out = ctl.apply(want, false);
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].message;
  EXPECT_EQ(out.reports.size(), 2u);
  expect_device_matches(nic0, *want.ports[0].steering, 0);
  EXPECT_EQ(nic1.flow_count(), 2u);
  dp.close();
}

}  // namespace
}  // namespace steer
