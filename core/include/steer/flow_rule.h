// A steering rule (match, action, priority, name): its own header so that
// RuleList (rule_list.h) and the deployment model (model.h) can both use it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace steer {

struct PortMatch {  // value under mask (exact: mask 0xffff)
  uint16_t value = 0;
  uint16_t mask = 0xffff;
  friend bool operator==(const PortMatch&, const PortMatch&) = default;
};

struct FlowMatch {
  std::optional<uint16_t> eth_type;
  std::optional<uint16_t> vlan;  // VLAN id (12 bits)
  std::optional<std::array<uint8_t, 4>> ipv4_src, ipv4_dst;
  uint8_t ipv4_src_len = 32, ipv4_dst_len = 32;
  std::optional<std::array<uint8_t, 16>> ipv6_src, ipv6_dst;
  uint8_t ipv6_src_len = 128, ipv6_dst_len = 128;
  std::optional<uint8_t> ip_proto;
  std::optional<PortMatch> tcp_src, tcp_dst, udp_src, udp_dst;
  friend bool operator==(const FlowMatch&, const FlowMatch&) = default;
};

struct FlowActionSpec {
  std::optional<uint16_t> queue;
  std::vector<uint16_t> rss;  // spread over these queues by the RSS hash
  bool drop = false;
  std::optional<uint32_t> mark;  // set in mbuf->hash.fdir.hi with RTE_MBUF_F_RX_FDIR_ID
  friend bool operator==(const FlowActionSpec&, const FlowActionSpec&) = default;
};

struct FlowRule {
  std::string name;
  uint32_t priority = 0;  // lower wins
  FlowMatch match;
  FlowActionSpec action;
  friend bool operator==(const FlowRule&, const FlowRule&) = default;
};

}  // namespace steer
