// What the fuzz targets share: a steering config with rules in several mask
// groups (so classification walks more than the RETA).
#pragma once

#include <cstdlib>

#include "steer/steering.h"
#include "steer/text.h"

namespace steer::fuzz {

[[noreturn]] inline void broken(const char* what) {
  __builtin_trap();  // libFuzzer reports the input; `what` is in the core
  (void)what;
}

inline FlowRule rule(const char* name, uint32_t prio, std::initializer_list<std::pair<const char*, const char*>> f) {
  FlowRule r;
  r.name = name;
  r.priority = prio;
  for (const auto& [k, v] : f)
    if (!set_rule_field(&r, k, v).empty()) std::abort();
  return r;
}

inline SteeringConfig steering_config() {
  SteeringConfig s;
  s.rss.types = kRssIpv4 | kRssIpv4Tcp | kRssIpv4Udp | kRssIpv6 | kRssIpv6Tcp | kRssIpv6Udp;
  s.rss.reta = reta_spread(128, {0, 1, 2, 3});
  s.flows = {rule("dns", 10, {{"ipv4_dst", "10.0.0.0/24"}, {"udp_dst", "53"}, {"queue", "1"}}),
             rule("v6blk", 0, {{"ipv6_src", "2001:db8::/32"}, {"drop", "true"}}),
             rule("web", 20, {{"tcp_dst", "80"}, {"ip_proto", "6"}, {"rss", "2-3"}}),
             rule("arp", 30, {{"eth_type", "0x0806"}, {"queue", "0"}, {"mark", "7"}}),
             rule("vl", 40, {{"vlan", "100"}, {"queue", "3"}})};
  if (!validate_steering(s, 4, "fuzz").empty()) std::abort();
  return s;
}

}  // namespace steer::fuzz
