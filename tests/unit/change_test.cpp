// core/change.h: a change planned once, as the backends receive it.
#include "steer/change.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "steer/steering.h"

namespace steer {
namespace {

using ::testing::HasSubstr;

SteeringConfig two_queues() {
  SteeringConfig s;
  s.rss.reta = reta_spread(8, {0, 1});
  FlowRule dns{"dns", 10, {}, {}};
  dns.match.udp_dst = PortMatch{53, 0xffff};
  dns.action.queue = 1;
  s.flows = {dns};
  return s;
}

TEST(Change, RetaMoveNamesItsBucketsLosersAndGainers) {
  const SteeringConfig s = two_queues();
  SteeringChange c;
  c.reta = s.rss.reta;
  (*c.reta)[0] = 1;  // bucket 0: queue 0 -> 1
  ChangePlan p;
  ASSERT_TRUE(plan_change("p0", s, 2, c, &p).empty());
  EXPECT_FALSE(p.global);
  EXPECT_TRUE(p.reta_changed);
  EXPECT_FALSE(p.key_changed || p.types_changed || p.changes_device_rules());
  EXPECT_EQ(p.buckets_moved, 1u);
  EXPECT_EQ(p.losers, (std::vector<uint16_t>{0}));
  EXPECT_EQ(p.gainers, (std::vector<uint16_t>{1}));
  EXPECT_EQ(p.moved_from[0], 0);
  EXPECT_EQ(p.moved_from[1], ChangePlan::kStayed);
  EXPECT_TRUE(p.drain.on);
  EXPECT_EQ(p.drain.timeout_ms, s.drain_timeout_ms);
  EXPECT_EQ(p.after.rss.reta, *c.reta);
  EXPECT_EQ(p.before.rss.reta, s.rss.reta);
}

TEST(Change, RulesBecomeWhatTheDeviceMustCreateAndDestroy) {
  const SteeringConfig s = two_queues();
  FlowRule same = s.flows[0];
  FlowRule moved = s.flows[0];
  moved.action.queue = 0;
  FlowRule web{"web", 20, {}, {}};
  web.match.tcp_dst = PortMatch{80, 0xffff};
  web.action.queue = 0;
  ChangePlan p;
  SteeringChange unchanged;
  unchanged.add = {same};
  ASSERT_TRUE(plan_change("p0", s, 2, unchanged, &p).empty());
  EXPECT_TRUE(p.create.empty()) << "a rule added as it is stays on the device";
  EXPECT_TRUE(p.global) << "a rule change may move any flow";

  SteeringChange replace;
  replace.add = {moved, web};
  ASSERT_TRUE(plan_change("p0", s, 2, replace, &p).empty());
  ASSERT_EQ(p.create.size(), 2u);
  EXPECT_EQ(p.destroy, (std::vector<std::string>{"dns"}));
  EXPECT_EQ(p.buckets_moved, 8u);
  EXPECT_EQ(p.losers.size(), 2u);

  SteeringChange readd;  // removed and added back unchanged: re-created
  readd.remove = {"dns"};
  readd.add = {same};
  ASSERT_TRUE(plan_change("p0", s, 2, readd, &p).empty());
  EXPECT_EQ(p.create.size(), 1u);
  EXPECT_EQ(p.destroy, (std::vector<std::string>{"dns"}));
}

TEST(Change, RefusalsNameTheField) {
  const SteeringConfig s = two_queues();
  ChangePlan p;
  SteeringChange gone;
  gone.remove = {"nope"};
  auto e = plan_change("p0", s, 2, gone, &p);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].path, "remove");
  EXPECT_EQ(e[0].kind, ErrorKind::NotFound);
  EXPECT_THAT(e[0].message, HasSubstr("no rule named \"nope\" on port p0"));
  SteeringChange bad;
  bad.reta = std::vector<uint16_t>{0, 5};
  e = plan_change("p0", s, 2, bad, &p);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e[0].path, "steering.rss.reta[1]");
  SteeringChange types;
  types.types = 0;
  e = plan_change("p0", s, 2, types, &p);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e[0].path, "types");
}

TEST(Change, NothingMovedDrainsNothing) {
  const SteeringConfig s = two_queues();
  ChangePlan p;
  ASSERT_TRUE(plan_change("p0", s, 2, SteeringChange{}, &p).empty());
  EXPECT_EQ(p.buckets_moved, 0u);
  EXPECT_FALSE(p.drain.on);
  SteeringConfig off = s;
  off.drain = false;
  SteeringChange c;
  c.reta = reta_spread(8, {1});
  ASSERT_TRUE(plan_change("p0", off, 2, c, &p).empty());
  EXPECT_GT(p.buckets_moved, 0u);
  EXPECT_FALSE(p.drain.on) << "drain: false is kept";
}

TEST(Change, DifferenceAppliedGivesTheWantedConfig) {
  const SteeringConfig have = two_queues();
  SteeringConfig want = have;
  want.rss.key[0] ^= 1;
  want.rss.reta = reta_spread(8, {1, 0});
  want.flows[0].priority = 11;
  FlowRule web{"web", 20, {}, {}};
  web.action.drop = true;
  want.flows.push_back(web);
  const SteeringChange c = difference(have, want);
  EXPECT_TRUE(c.key && c.reta && !c.types);
  EXPECT_EQ(c.add.size(), 2u);
  ChangePlan p;
  ASSERT_TRUE(plan_change("p0", have, 2, c, &p).empty());
  EXPECT_EQ(p.after.rss.key, want.rss.key);
  EXPECT_EQ(p.after.rss.reta, want.rss.reta);
  EXPECT_EQ(p.after.flows, want.flows);
  EXPECT_TRUE(difference(want, want).empty());
}

// A plan made with a kept RuleIndex (the controller's way: a change is
// merged and validated by the rules it touches) is the plan made without one,
// errors included: 400 random changes against one running rule set, adding
// and replacing rules with priorities that often collide (with a kept rule,
// with another added one, with the rule a replaced one displaces, with one
// removed in the same change), removing rules (a few, or dozens at once, a
// name not there, a name twice, a name added again in the same change), some
// with bad queues, bad names, a name added twice, or a RETA naming a missing
// queue. The index kept with RuleIndex::update after each accepted change is
// the one built afresh.
TEST(Change, IndexedPlanIsTheSameAsAFullOne) {
  std::mt19937 rng(78);
  SteeringConfig s = two_queues();
  RuleIndex kept;
  kept.build(s.flows);
  auto rule = [&](const std::string& name) {
    FlowRule r{name, uint32_t(rng() % 400), {}, {}};
    r.match.udp_dst = PortMatch{uint16_t(rng() % 1000), 0xffff};
    r.action.queue = uint16_t(rng() % 17 == 0 ? 5 : rng() % 2);  // 5: no such queue
    return r;
  };
  size_t accepted = 0, refused = 0, replaced = 0, removals = 0, removed = 0, readded = 0, freed_priority = 0;
  for (int step = 0; step < 400; ++step) {
    SteeringChange c;
    for (size_t k = 1 + rng() % 6; k-- > 0;) {
      const bool existing = !s.flows.empty() && rng() % 3 == 0;
      std::string name = existing ? s.flows[rng() % s.flows.size()].name : "r" + std::to_string(rng() % 100000);
      if (rng() % 40 == 0) name = "bad name";
      if (!c.add.empty() && rng() % 20 == 0) name = c.add.back().name;  // the same name twice
      c.add.push_back(rule(name));
      replaced += existing;
    }
    if (rng() % 30 == 0) c.reta = reta_spread(8, {0, uint16_t(1 + rng() % 2)});
    // Removals: a few, sometimes dozens (whole chunks of the rule list close
    // up), a name that is not there, a name twice; an added name may be one
    // removed in the same change (it goes to the end).
    if (!s.flows.empty() && rng() % 3 == 0)
      for (size_t k = rng() % 8 == 0 ? 20 + rng() % 80 : 1 + rng() % 4; k-- > 0;)
        c.remove.push_back(s.flows[rng() % s.flows.size()].name);
    if (rng() % 40 == 0) c.remove.push_back("not-there");
    std::sort(c.remove.begin(), c.remove.end());
    if (rng() % 40 != 0) c.remove.erase(std::unique(c.remove.begin(), c.remove.end()), c.remove.end());
    std::shuffle(c.remove.begin(), c.remove.end(), rng);
    removals += c.remove.size();
    if (!c.remove.empty() && !c.add.empty() && rng() % 2 == 0)  // an added rule takes a removed one's priority
      for (const FlowRule& r : s.flows)
        if (r.name == c.remove[0]) {
          c.add[rng() % c.add.size()].priority = r.priority;
          ++freed_priority;
        }
    ChangePlan full, fast;
    const auto e1 = plan_change("p0", s, 2, c, &full);
    const auto e2 = plan_change("p0", s, 2, c, &fast, &kept);
    ASSERT_EQ(e1.size(), e2.size()) << "step " << step;
    for (size_t i = 0; i < e1.size(); ++i) {
      EXPECT_EQ(e1[i].path, e2[i].path) << "step " << step;
      EXPECT_EQ(e1[i].message, e2[i].message) << "step " << step;
    }
    if (!e1.empty()) {
      ++refused;
      continue;
    }
    ++accepted;
    removed += c.remove.size();
    for (const auto& r : c.add) readded += std::count(c.remove.begin(), c.remove.end(), r.name);
    EXPECT_TRUE(fast.incremental);
    ASSERT_EQ(fast.after.flows, full.after.flows) << "step " << step;
    EXPECT_EQ(fast.create, full.create);
    EXPECT_EQ(fast.destroy, full.destroy);
    EXPECT_EQ(fast.destroyed, full.destroyed);
    EXPECT_EQ(fast.after.rss.reta, full.after.rss.reta);
    kept.update(fast);
    s = fast.after;
    RuleIndex fresh;
    fresh.build(s.flows);
    ASSERT_EQ(kept.by_name.size(), s.flows.size()) << "step " << step;
    for (uint32_t i = 0; i < s.flows.size(); ++i) ASSERT_EQ(kept.by_name.find(s.flows[i].name, s.flows), i);
    ASSERT_EQ(kept.by_name.find("never added", s.flows), NameIndex::kNone);
    ASSERT_EQ(kept.by_priority, fresh.by_priority) << "step " << step;
  }
  EXPECT_GT(accepted, 60u);
  EXPECT_GT(refused, 60u);
  EXPECT_GT(replaced, 100u);
  EXPECT_GT(removed, 250u);
  EXPECT_GT(readded, 5u);
  EXPECT_GT(freed_priority, 30u);
  EXPECT_GT(removals, removed);  // some changes were refused for their removals
}

// The controller's name index over 50,000 rules, grown from empty: every
// name at its position, names never added and names of the same length
// absent.
TEST(RuleIndex, NamesFindTheirPositionsAndOthersAreAbsent) {
  RuleList rules;
  for (uint32_t i = 0; i < 50000; ++i) rules.push_back(FlowRule{"rule-" + std::to_string(i), i, {}, {}});
  RuleIndex ix;
  ix.build(rules);
  ASSERT_EQ(ix.by_name.size(), rules.size());
  for (uint32_t i = 0; i < rules.size(); ++i) ASSERT_EQ(ix.by_name.find(rules[i].name, rules), i);
  for (uint32_t i = 50000; i < 60000; ++i)
    ASSERT_EQ(ix.by_name.find("rule-" + std::to_string(i), rules), NameIndex::kNone);
  ASSERT_EQ(ix.by_name.find("", rules), NameIndex::kNone);
  NameIndex empty;
  EXPECT_EQ(empty.find("rule-1", rules), NameIndex::kNone);
}

}  // namespace
}  // namespace steer
