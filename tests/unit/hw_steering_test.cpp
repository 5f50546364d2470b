// The hardware backend's translation, tested as data (no NIC, no EAL).
#include "steer/hw_steering.h"

#include <gtest/gtest.h>

#include <cstring>

#include "steer/steering.h"

namespace steer {
namespace {

TEST(HwSteering, DnsRuleToPatternAndActions) {
  FlowRule r{"dns", 10, {}, {}};
  r.match.ipv4_dst = std::array<uint8_t, 4>{10, 0, 0, 77};
  r.match.ipv4_dst_len = 24;
  r.match.udp_dst = PortMatch{53, 0xffff};
  r.action.queue = 1;
  r.action.mark = 7;
  auto flows = translate_rule(r, RssConfig{}, 4);
  ASSERT_EQ(flows.size(), 1u);
  const auto& s = flows[0];
  EXPECT_EQ(s->attr.ingress, 1u);
  EXPECT_EQ(s->attr.priority, 10u);
  ASSERT_EQ(s->pattern.size(), 4u);
  EXPECT_EQ(s->pattern[0].type, RTE_FLOW_ITEM_TYPE_ETH);
  EXPECT_EQ(s->pattern[0].spec, nullptr) << "the IPv4 item says the EtherType";
  EXPECT_EQ(s->pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
  const auto* v4 = static_cast<const rte_flow_item_ipv4*>(s->pattern[1].spec);
  const auto* v4m = static_cast<const rte_flow_item_ipv4*>(s->pattern[1].mask);
  const uint8_t want_dst[4] = {10, 0, 0, 0}, want_mask[4] = {255, 255, 255, 0};
  EXPECT_EQ(0, std::memcmp(&v4->hdr.dst_addr, want_dst, 4)) << "spec is masked";
  EXPECT_EQ(0, std::memcmp(&v4m->hdr.dst_addr, want_mask, 4));
  EXPECT_EQ(v4m->hdr.src_addr, 0u);
  EXPECT_EQ(v4->hdr.next_proto_id, 17);
  EXPECT_EQ(v4m->hdr.next_proto_id, 0xff);
  EXPECT_EQ(s->pattern[2].type, RTE_FLOW_ITEM_TYPE_UDP);
  const auto* udp = static_cast<const rte_flow_item_udp*>(s->pattern[2].spec);
  const auto* udpm = static_cast<const rte_flow_item_udp*>(s->pattern[2].mask);
  EXPECT_EQ(udp->hdr.dst_port, rte_cpu_to_be_16(53));
  EXPECT_EQ(udpm->hdr.dst_port, 0xffff);
  EXPECT_EQ(udpm->hdr.src_port, 0);
  EXPECT_EQ(s->pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
  ASSERT_EQ(s->actions.size(), 3u);
  EXPECT_EQ(s->actions[0].type, RTE_FLOW_ACTION_TYPE_MARK);
  EXPECT_EQ(static_cast<const rte_flow_action_mark*>(s->actions[0].conf)->id, 7u);
  EXPECT_EQ(s->actions[1].type, RTE_FLOW_ACTION_TYPE_QUEUE);
  EXPECT_EQ(static_cast<const rte_flow_action_queue*>(s->actions[1].conf)->index, 1);
  EXPECT_EQ(s->actions[2].type, RTE_FLOW_ACTION_TYPE_END);
}

TEST(HwSteering, Ipv6PrefixDropAndVlan) {
  FlowRule r{"blk", 0, {}, {}};
  r.match.ipv6_src = std::array<uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0xff};
  r.match.ipv6_src_len = 32;
  r.match.vlan = 100;
  r.action.drop = true;
  auto flows = translate_rule(r, RssConfig{}, 4);
  ASSERT_EQ(flows.size(), 1u);
  const auto& s = flows[0];
  ASSERT_EQ(s->pattern.size(), 4u);
  EXPECT_EQ(s->pattern[1].type, RTE_FLOW_ITEM_TYPE_VLAN);
  EXPECT_EQ(static_cast<const rte_flow_item_vlan*>(s->pattern[1].spec)->hdr.vlan_tci, rte_cpu_to_be_16(100));
  EXPECT_EQ(s->pattern[2].type, RTE_FLOW_ITEM_TYPE_IPV6);
  const auto* m = static_cast<const rte_flow_item_ipv6*>(s->pattern[2].mask);
  const auto* v = static_cast<const rte_flow_item_ipv6*>(s->pattern[2].spec);
  EXPECT_EQ(m->hdr.src_addr[3], 0xff);
  EXPECT_EQ(m->hdr.src_addr[4], 0x00);
  EXPECT_EQ(v->hdr.src_addr[4], 0x00) << "bits beyond the prefix are cleared in the spec";
  EXPECT_EQ(s->actions[0].type, RTE_FLOW_ACTION_TYPE_DROP);
  EXPECT_EQ(s->actions[1].type, RTE_FLOW_ACTION_TYPE_END);
}

TEST(HwSteering, RssSubsetCarriesKeyAndTypes) {
  FlowRule r{"spread", 3, {}, {}};
  r.match.tcp_dst = PortMatch{0x1000, 0xf000};
  r.action.rss = {0, 2};
  RssConfig rss;
  rss.types = kRssIpv4Tcp | kRssIpv6Tcp;
  auto flows = translate_rule(r, rss, 4);
  ASSERT_EQ(flows.size(), 2u) << "ports without an IP family: one flow per family";
  EXPECT_EQ(flows[0]->pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
  EXPECT_EQ(static_cast<const rte_flow_item_ipv4*>(flows[0]->pattern[1].spec)->hdr.next_proto_id, 6);
  EXPECT_EQ(flows[1]->pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV6);
  EXPECT_EQ(static_cast<const rte_flow_item_ipv6*>(flows[1]->pattern[1].spec)->hdr.proto, 6);
  const auto& s = flows[1];
  EXPECT_EQ(s->pattern[2].type, RTE_FLOW_ITEM_TYPE_TCP);
  EXPECT_EQ(static_cast<const rte_flow_item_tcp*>(s->pattern[2].mask)->hdr.dst_port, rte_cpu_to_be_16(0xf000));
  EXPECT_EQ(s->pattern[3].type, RTE_FLOW_ITEM_TYPE_END);
  ASSERT_EQ(s->actions[0].type, RTE_FLOW_ACTION_TYPE_RSS);
  const auto* conf = static_cast<const rte_flow_action_rss*>(s->actions[0].conf);
  EXPECT_EQ(conf->queue_num, 2u);
  EXPECT_EQ(conf->queue[1], 2);
  EXPECT_EQ(conf->key_len, 40u);
  EXPECT_EQ(0, std::memcmp(conf->key, default_rss_key().data(), 40));
  EXPECT_EQ(conf->types, RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP);
  FlowRule markonly{"m", 4, {}, {}};
  markonly.action.mark = 1;
  auto mos = translate_rule(markonly, rss, 3);
  ASSERT_EQ(mos.size(), 1u) << "no L4 match: one flow, ETH only";
  const auto& mo = mos[0];
  EXPECT_EQ(mo->pattern.size(), 2u);
  EXPECT_EQ(mo->actions[1].type, RTE_FLOW_ACTION_TYPE_RSS);
  EXPECT_EQ(static_cast<const rte_flow_action_rss*>(mo->actions[1].conf)->queue_num, 3u);
}

TEST(HwSteering, RetaInTheDeviceSize) {
  auto reta = reta_spread(128, {0, 1, 2});
  auto e = reta_entries(reta, 512);
  ASSERT_EQ(e.size(), 8u);
  for (const auto& g : e) EXPECT_EQ(g.mask, ~uint64_t(0));
  EXPECT_EQ(e[2].reta[0], reta[128 % 128]);
  EXPECT_EQ(e[3].reta[5], reta[(3 * 64 + 5) % 128]);
  auto small = reta_entries(reta, 64);
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].reta[63], reta[63]);
  EXPECT_EQ(rss_hf(kRssIpv4Udp), RTE_ETH_RSS_NONFRAG_IPV4_UDP);
  EXPECT_EQ(rss_hf_required(kRssIpv4 | kRssIpv6Tcp), RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV6_TCP);
}

TEST(HwSteering, FlowErrorsNameWhatThePmdRefused) {
  rte_flow_error e{};
  e.type = RTE_FLOW_ERROR_TYPE_ITEM;
  e.message = "VLAN not supported";
  EXPECT_EQ(flow_error_text("rte_flow_validate", e, -ENOTSUP),
            "rte_flow_validate refused a pattern item: VLAN not supported");
  rte_flow_error none{};
  EXPECT_NE(flow_error_text("rte_flow_create", none, -ENOSYS).find("rte_flow_create refused the rule: "),
            std::string::npos);
}

}  // namespace
}  // namespace steer
