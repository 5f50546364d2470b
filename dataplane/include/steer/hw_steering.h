// The hardware backend as data: the steering model translated to what
// rte_ethdev and rte_flow take. Pure functions (DPDK structures, no EAL), so
// the translation is tested without a NIC; the dataplane hands the results to
// rte_eth_dev_rss_hash_update, rte_eth_dev_rss_reta_update and
// rte_flow_validate/rte_flow_create.
#pragma once

#include <rte_ethdev.h>
#include <rte_flow.h>

#include <memory>
#include <string>
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
//
// A rule that matches TCP/UDP ports or an IP protocol without saying the IP
// family becomes two flows, IPv4 and IPv6: most PMDs refuse an L4 item that
// does not follow an L3 one.
std::vector<std::unique_ptr<FlowRuleSpec>> translate_rule(const FlowRule& rule, const RssConfig& rss,
                                                          uint16_t all_queues);

// The RTE_ETH_RSS_* flags a device must offer to hash `types` (the principal
// flag of each type; fragments and "other" protocols ride along when offered).
uint64_t rss_hf_required(uint32_t types);

// What the hardware backend reads from a device before steering it.
struct HwCaps {
  std::string driver;
  uint16_t reta_size = 0;     // 0: no redirection table
  uint8_t key_size = 0;       // 0: the device does not say
  uint64_t rss_offloads = 0;  // flow_type_rss_offloads
  uint16_t max_rx_queues = 0;
};

// The device calls of the hardware backend. ethdev_steering() forwards each
// to rte_ethdev/rte_flow on a port; tests put a model NIC behind the same
// calls. Control thread only, except rx_queue_count, which the lcore polling
// `queue` calls.
class SteeringDevice {
 public:
  virtual ~SteeringDevice() = default;
  virtual int caps(HwCaps* out) = 0;
  virtual int rss_hash_update(const std::vector<uint8_t>& key, uint64_t hf) = 0;
  virtual int reta_update(std::vector<rte_eth_rss_reta_entry64>& reta, uint16_t size) = 0;
  virtual int flow_validate(const FlowRuleSpec& f, rte_flow_error* err) = 0;
  virtual rte_flow* flow_create(const FlowRuleSpec& f, rte_flow_error* err) = 0;
  virtual int flow_destroy(rte_flow* flow, rte_flow_error* err) = 0;
  // Descriptors holding received packets; negative when the PMD cannot say.
  virtual int rx_queue_count(uint16_t queue) = 0;
};

std::unique_ptr<SteeringDevice> ethdev_steering(uint16_t port_id);

// "rte_flow_validate refused the IPV4 item: <PMD's message>" from an error
// the PMD filled (or did not), and the errno it returned.
std::string flow_error_text(const char* call, const rte_flow_error& e, int rc);

}  // namespace steer
