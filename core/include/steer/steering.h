// Steering as data: the compiled table a software dispatcher classifies with
// (Toeplitz over the tuple the hash types select, rules first by priority,
// then the RETA), its validation, and RETA builders. Pure C++; no DPDK.
//
// Rules are looked up by tuple-space search: rules with the same mask share a
// hash table keyed by the masked fields, so a lookup costs one probe per mask
// group, not one comparison per rule.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "steer/model.h"
#include "steer/toeplitz.h"
#include "steer/validate.h"

namespace steer {

// What classification reads from a frame.
struct PacketFields {
  uint16_t eth_type = 0;  // after an optional VLAN tag
  uint16_t vlan = 0;      // VLAN id, 0 when untagged
  bool has_vlan = false;
  bool ipv4 = false, ipv6 = false;
  uint8_t proto = 0;
  bool has_ports = false;              // TCP or UDP header present
  uint8_t src[16] = {}, dst[16] = {};  // IPv4 in the first 4 bytes
  uint16_t sport = 0, dport = 0;
};

PacketFields parse_fields(const uint8_t* frame, size_t len);

// The Toeplitz input for a packet under `types`: src, dst addresses, then
// ports when its L4 type is enabled (network byte order). Returns its length,
// 0 when the packet is not hashed.
size_t rss_tuple(const PacketFields& f, uint32_t types, uint8_t out[ToeplitzTable::kMaxInput]);

struct SteerVerdict {
  enum Kind : uint8_t { Queue, Drop } kind = Queue;
  uint16_t queue = 0;
  bool marked = false;
  uint32_t mark = 0;
  uint32_t hash = 0;
  int32_t rule = -1;  // index into the config's flows, -1: RETA
};

class SteeringTable {
 public:
  // `cfg` must be validated (validate_steering) with a non-empty RETA.
  explicit SteeringTable(const SteeringConfig& cfg);

  SteerVerdict classify(const PacketFields& f) const;
  uint32_t hash(const PacketFields& f) const;
  const SteeringConfig& config() const { return cfg_; }

 private:
  struct Key {
    uint8_t bytes[48];
    bool operator==(const Key& o) const;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Group {
    Key mask;
    uint32_t best_priority;
    std::unordered_map<Key, uint32_t, KeyHash> rules;  // masked key -> rule index (lowest priority)
  };
  static Key key_of(const PacketFields& f);
  static Key mask_of(const FlowMatch& m, Key* value);

  SteeringConfig cfg_;
  ToeplitzTable toeplitz_;
  std::vector<Group> groups_;  // ascending best_priority
};

// Bounds on what a deployment or a change may hold (README "Robustness").
constexpr size_t kMaxRules = 262144;        // rules per port
constexpr size_t kMaxRuleName = 64;         // bytes; letters, digits and _ . : -
constexpr size_t kMaxRuleRssQueues = 1024;  // queues in one rule's rss action
constexpr size_t kMaxErrors = 100;          // errors reported per validation; the rest are counted

// Whole-config checks against the queue count: key length, RETA entries,
// rules (names, priority ties, actions, consistent matches). `path` prefixes
// field paths ("ports[0].steering").
std::vector<ConfigError> validate_steering(const SteeringConfig& s, uint16_t queues, const std::string& path);

// RETA builders: `size` buckets round-robin over `queues`; or by weights
// (bucket shares proportional, interleaved).
std::vector<uint16_t> reta_spread(uint32_t size, const std::vector<uint16_t>& queues);
std::vector<uint16_t> reta_weights(uint32_t size, const std::map<uint16_t, uint32_t>& weights);

}  // namespace steer
