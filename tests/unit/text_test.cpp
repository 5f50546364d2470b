// The text forms of steer/text.h: what YAML, the API and steerctl share.
#include "steer/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace steer {
namespace {

using ::testing::HasSubstr;

FlowRule every_field() {
  FlowRule r{"all", 7, {}, {}};
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{{"eth_type", "0x86dd"},
                                                                      {"vlan", "100"},
                                                                      {"ipv4_src", "10.0.0.0/8"},
                                                                      {"ipv4_dst", "192.0.2.1/32"},
                                                                      {"ipv6_src", "2001:db8::/32"},
                                                                      {"ipv6_dst", "2001:db8::1/128"},
                                                                      {"ip_proto", "udp"},
                                                                      {"tcp_src", "0x1000/0xf000"},
                                                                      {"tcp_dst", "80"},
                                                                      {"udp_src", "53"},
                                                                      {"udp_dst", "0x35/0xffff"},
                                                                      {"rss", "0-2,5"},
                                                                      {"drop", "false"},
                                                                      {"mark", "4294967295"}})
    EXPECT_EQ(set_rule_field(&r, k, v), "") << k;
  return r;
}

TEST(Text, EveryRuleFieldRoundTripsThroughItsText) {
  const FlowRule r = every_field();
  EXPECT_EQ(*r.match.ip_proto, 17);
  EXPECT_EQ(r.action.rss, (std::vector<uint16_t>{0, 1, 2, 5}));
  EXPECT_EQ(r.match.tcp_src->mask, 0xf000);
  FlowRule back{"all", 7, {}, {}};
  for (const auto& f : rule_fields(r)) EXPECT_EQ(set_rule_field(&back, f.key, f.text), "") << f.key << "=" << f.text;
  EXPECT_EQ(back, r);
  // Every key rule_fields writes is one set_rule_field and the key lists know.
  for (const auto& f : rule_fields(r)) {
    const auto& keys = f.action ? kRuleActionKeys : kRuleMatchKeys;
    EXPECT_NE(std::find(keys.begin(), keys.end(), f.key), keys.end()) << f.key;
  }
}

TEST(Text, BadRuleFieldsSayWhatToWrite) {
  FlowRule r;
  EXPECT_THAT(set_rule_field(&r, "vlan", "4096"), HasSubstr("0-4095"));
  EXPECT_THAT(set_rule_field(&r, "tcp_dst", "70000"), HasSubstr("value/mask like 0x1000/0xf000"));
  EXPECT_THAT(set_rule_field(&r, "tcp_dst", "-1"), HasSubstr("is not a port"));
  EXPECT_THAT(set_rule_field(&r, "ipv4_src", "10.0.0.0/33"), HasSubstr("10.0.0.0/24"));
  EXPECT_THAT(set_rule_field(&r, "ipv6_dst", "10.0.0.1"), HasSubstr("2001:db8::/32"));
  EXPECT_THAT(set_rule_field(&r, "ip_proto", "sctp"), HasSubstr("tcp, udp or a number"));
  EXPECT_THAT(set_rule_field(&r, "queue", "1024"), HasSubstr("0-1023"));
  EXPECT_THAT(set_rule_field(&r, "rss", "3-1"), HasSubstr("0,1 or 0-3"));
  EXPECT_THAT(set_rule_field(&r, "drop", "yes"), HasSubstr("true or false"));
  EXPECT_EQ(set_rule_field(&r, "colour", "red"), "unknown field");
  EXPECT_EQ(r, FlowRule{}) << "a refused field changes nothing";
}

// Numbers are decimal, or hex after 0x; a leading zero is not octal (an
// operator who writes udp_dst 053 means port 53, and 08 is 8).
TEST(Text, NumbersAreDecimalOrHexNeverOctal) {
  FlowRule r;
  ASSERT_EQ(set_rule_field(&r, "udp_dst", "053"), "");
  EXPECT_EQ(r.match.udp_dst->value, 53);
  ASSERT_EQ(set_rule_field(&r, "tcp_dst", "08/0x00ff"), "");
  EXPECT_EQ(r.match.tcp_dst->value, 8);
  EXPECT_EQ(r.match.tcp_dst->mask, 0xff);
  ASSERT_EQ(set_rule_field(&r, "vlan", "0100"), "");
  EXPECT_EQ(*r.match.vlan, 100);
  ASSERT_EQ(set_rule_field(&r, "eth_type", "0X86DD"), "");
  EXPECT_EQ(*r.match.eth_type, 0x86dd);
  ASSERT_EQ(set_rule_field(&r, "mark", "4294967295"), "");
  std::vector<uint16_t> q;
  ASSERT_TRUE(parse_queue_list("01-03", &q));
  EXPECT_EQ(q, (std::vector<uint16_t>{1, 2, 3}));
  const FlowRule kept = r;
  for (const char* bad : {"", "0x", "+5", " 5", "5 ", "0x-1", "1e3", "0b1", "99999999999999999999999"})
    EXPECT_THAT(set_rule_field(&r, "mark", bad), HasSubstr("is not a mark")) << bad;
  EXPECT_THAT(set_rule_field(&r, "udp_dst", "53/"), HasSubstr("is not a port"));
  EXPECT_THAT(set_rule_field(&r, "udp_dst", "/53"), HasSubstr("is not a port"));
  for (const char* bad : {"10.0.0.0/+24", "10.0.0.0/ 24", "10.0.0.0/", "10.0.0.0/0x18"})
    EXPECT_THAT(set_rule_field(&r, "ipv4_dst", bad), HasSubstr("is not an IPv4")) << bad;
  ASSERT_EQ(set_rule_field(&r, "ipv4_dst", "10.0.0.0/024"), "");
  EXPECT_EQ(r.match.ipv4_dst_len, 24);
  r.match.ipv4_dst.reset();
  r.match.ipv4_dst_len = 32;
  EXPECT_EQ(r, kept) << "a refused field changes nothing";
}

TEST(Text, RuleOnOneLine) {
  FlowRule r{"web", 1, {}, {}};
  ASSERT_EQ(set_rule_field(&r, "tcp_dst", "80"), "");
  ASSERT_EQ(set_rule_field(&r, "queue", "1"), "");
  EXPECT_EQ(format_rule(r), " tcp_dst=80 -> queue 1");
  EXPECT_EQ(format_rule(FlowRule{"any", 2, {}, {{}, {}, true, {}}}), " any -> drop");
}

TEST(Text, HashTypeNamesBothWays) {
  EXPECT_EQ(rss_type_bit("ipv6-udp"), uint32_t(kRssIpv6Udp));
  EXPECT_EQ(rss_type_bit("ipv7"), 0u);
  EXPECT_EQ(rss_type_names(kRssIpv4 | kRssIpv6Tcp), (std::vector<std::string>{"ipv4", "ipv6-tcp"}));
}

TEST(Text, QueueLists) {
  std::vector<uint16_t> q;
  EXPECT_TRUE(parse_queue_list("1", &q));
  EXPECT_EQ(q, (std::vector<uint16_t>{1}));
  EXPECT_TRUE(parse_queue_list("0-1,3", &q));
  EXPECT_EQ(q, (std::vector<uint16_t>{0, 1, 3}));
  EXPECT_FALSE(parse_queue_list("", &q));
  EXPECT_FALSE(parse_queue_list("1,", &q));
  EXPECT_FALSE(parse_queue_list("a", &q));
}

}  // namespace
}  // namespace steer
