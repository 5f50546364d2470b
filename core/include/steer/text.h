// Text forms of the model, each written once: what YAML, the gRPC API and
// steerctl read and print. The YAML loader and emitter, the proto conversion
// and the CLI all go through these; none spells a form of its own.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "steer/model.h"

namespace steer {

// MAC addresses: six hex pairs with colons.
std::string format_mac(const MacAddr& m);
std::optional<MacAddr> parse_mac(const std::string& s);

// Keys as hex: to_hex writes lowercase pairs; parse_hex also skips ':' and ' '.
std::string to_hex(const std::vector<uint8_t>& bytes);
bool parse_hex(const std::string& text, std::vector<uint8_t>* out);

// Address prefixes over `bytes` (4 or 16): "10.0.0.0/24", "2001:db8::/32".
// A bare address is a full-length prefix.
void prefix_mask(uint8_t* mask, size_t bytes, unsigned len);
std::string format_prefix(const uint8_t* addr, size_t bytes, uint8_t len);
bool parse_prefix(const std::string& text, size_t bytes, uint8_t* addr, uint8_t* len);

// A "PORT:QUEUE" of a deployment ("p0:1").
std::string format_queue(const Deployment& d, QueueId q);

// Hash-type names as YAML, the API and steerctl spell them.
struct RssTypeName {
  const char* name;
  uint32_t bit;
};
inline constexpr RssTypeName kRssTypeNames[] = {{"ipv4", kRssIpv4},        {"ipv4-tcp", kRssIpv4Tcp},
                                                {"ipv4-udp", kRssIpv4Udp}, {"ipv6", kRssIpv6},
                                                {"ipv6-tcp", kRssIpv6Tcp}, {"ipv6-udp", kRssIpv6Udp}};
inline constexpr const char* kRssTypeList = "ipv4, ipv4-tcp, ipv4-udp, ipv6, ipv6-tcp or ipv6-udp";
uint32_t rss_type_bit(const std::string& name);  // 0: not a hash type
std::vector<std::string> rss_type_names(uint32_t types);

// A flow rule's match and action fields as (key, text) pairs, keys as YAML,
// the proto and steerctl name them ("tcp_dst", "ipv4_src", "queue", "rss"),
// in that order: match fields first, then action fields.
struct RuleField {
  std::string key;
  std::string text;
  bool action = false;  // under action: rather than match:
};
std::vector<RuleField> rule_fields(const FlowRule& r);

// Sets one match or action field of `r` from its text. Returns "" or what is
// wrong and what to write instead. List fields (rss) take "0,1" or "0-3".
std::string set_rule_field(FlowRule* r, std::string_view key, const std::string& text);

// The names set_rule_field takes under match: and under action:.
extern const std::vector<std::string> kRuleMatchKeys;
extern const std::vector<std::string> kRuleActionKeys;

// "tcp_dst=80 ipv4_dst=10.0.0.0/24 -> queue 1": a rule on one line.
std::string format_rule(const FlowRule& r);

// A name a client sent, for an error message: at most 64 bytes of it, so a
// request cannot make steerd echo megabytes back.
std::string quote_name(const std::string& s);

// Queue lists: "0-3", "0,2", "1".
bool parse_queue_list(const std::string& text, std::vector<uint16_t>* out);

}  // namespace steer
