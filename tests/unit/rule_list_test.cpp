// RuleList (core/include/steer/rule_list.h): a vector of rules whose copies
// share chunks until one of them changes a rule.
#include "steer/rule_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace steer {
namespace {

FlowRule rule(uint32_t i) {
  FlowRule r{"r" + std::to_string(i), i, {}, {}};
  r.action.queue = uint16_t(i % 4);
  return r;
}

RuleList numbered(uint32_t n) {
  RuleList l;
  for (uint32_t i = 0; i < n; ++i) l.push_back(rule(i));
  return l;
}

// A copy changed by index, by push_back, by resize or by assignment leaves the
// list it came from as it was, across chunk boundaries (64 rules a chunk);
// an unchanged copy shares every chunk.
TEST(RuleList, ACopyThatChangesLeavesTheOriginalAlone) {
  const RuleList original = numbered(200);
  const std::vector<FlowRule> want(original.begin(), original.end());
  RuleList copy = original;
  EXPECT_TRUE(copy.shares_all(original));
  copy[0].priority = 9999;
  copy[130] = rule(7000);
  copy.push_back(rule(200));
  EXPECT_FALSE(copy.shares_all(original));
  EXPECT_EQ(original, want);
  EXPECT_EQ(copy.size(), 201u);
  EXPECT_EQ(copy[0].priority, 9999u);
  EXPECT_EQ(copy[130].name, "r7000");
  EXPECT_EQ(copy[131].name, "r131");  // the rest of a copied chunk came along
  EXPECT_EQ(copy.back().name, "r200");

  RuleList shrunk = original;
  shrunk.resize(65);  // a whole chunk dropped, one rule of the next kept
  EXPECT_EQ(shrunk.size(), 65u);
  EXPECT_EQ(shrunk.back().name, "r64");
  shrunk.push_back(rule(500));
  EXPECT_EQ(shrunk[65].name, "r500");
  EXPECT_EQ(original[65].name, "r65");
  shrunk.resize(64);
  shrunk.pop_back();
  EXPECT_EQ(shrunk.size(), 63u);
  EXPECT_EQ(shrunk.back().name, "r62");
  shrunk.resize(0);
  EXPECT_TRUE(shrunk.empty());
  EXPECT_EQ(original, want);
  EXPECT_EQ(original.size(), 200u);
}

// What steering code does with a vector works the same: iteration (with
// algorithms), equality with a vector, initializer lists, clear.
TEST(RuleList, BehavesAsAVectorOfRules) {
  RuleList l = {rule(3), rule(1), rule(2)};
  EXPECT_EQ(l.size(), 3u);
  const auto it = std::find_if(l.begin(), l.end(), [](const FlowRule& r) { return r.name == "r1"; });
  EXPECT_EQ(it - l.begin(), 1);
  std::sort(l.begin(), l.end(), [](const FlowRule& a, const FlowRule& b) { return a.priority < b.priority; });
  EXPECT_EQ(l, (std::vector<FlowRule>{rule(1), rule(2), rule(3)}));
  EXPECT_FALSE(l == (std::vector<FlowRule>{rule(1), rule(2)}));
  RuleList big = numbered(130), other = numbered(130);
  EXPECT_EQ(big, other);  // equal rules in different chunks
  other[129].priority = 1;
  EXPECT_FALSE(big == other);
  big.clear();
  EXPECT_TRUE(big.empty());
  EXPECT_EQ(big.begin(), big.end());
}

}  // namespace
}  // namespace steer
