// The hardware backend as data: the steering model translated to what
// rte_ethdev and rte_flow take. Pure functions (DPDK structures, no EAL), so
// the translation is tested without a NIC; the dataplane hands the results to
// rte_eth_dev_rss_hash_update, rte_eth_dev_rss_reta_update and
// rte_flow_validate/rte_flow_create.
#pragma once

#include <rte_ethdev.h>
#include <rte_flow.h>

#include <memory>
#include <vector>

#include "steer/model.h"

namespace steer {

// Our hash-type bits to RTE_ETH_RSS_* flags.
uint64_t rss_hf(uint32_t types);

// The RETA in the device's own size (the configured table repeated or cut),
// in rte_eth_rss_reta_entry64 groups with every mask bit set.
std::vector<rte_eth_rss_reta_entry64> reta_entries(const std::vector<uint16_t>& reta, uint16_t device_size);

// One rule as rte_flow pattern and actions. The items and actions point into
// this object, so it is neither copied nor moved.
struct FlowRuleSpec {
  rte_flow_attr attr{};
  std::vector<rte_flow_item> pattern;
  std::vector<rte_flow_action> actions;

  rte_flow_item_eth eth_spec{}, eth_mask{};
  rte_flow_item_vlan vlan_spec{}, vlan_mask{};
  rte_flow_item_ipv4 ipv4_spec{}, ipv4_mask{};
  rte_flow_item_ipv6 ipv6_spec{}, ipv6_mask{};
  rte_flow_item_tcp tcp_spec{}, tcp_mask{};
  rte_flow_item_udp udp_spec{}, udp_mask{};
  rte_flow_action_queue queue{};
  rte_flow_action_rss rss{};
  rte_flow_action_mark mark{};
  std::vector<uint16_t> rss_queues;
  std::vector<uint8_t> rss_key;

  FlowRuleSpec() = default;
  FlowRuleSpec(const FlowRuleSpec&) = delete;
  FlowRuleSpec& operator=(const FlowRuleSpec&) = delete;
};

// Pattern: ETH [VLAN] [IPV4|IPV6] [TCP|UDP] END with spec and mask; actions:
// [MARK] then QUEUE, RSS (over the rule's queues with the port's key and
// types) or DROP, then END. A mark-only rule gets RSS over every queue in
// `all_queues`, as the software backend does.
std::unique_ptr<FlowRuleSpec> translate_rule(const FlowRule& rule, const RssConfig& rss, uint16_t all_queues);

}  // namespace steer
