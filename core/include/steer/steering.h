// Steering as data: the compiled table a software dispatcher classifies with
// (Toeplitz over the tuple the hash types select, rules first by priority,
// then the RETA), its validation, and RETA builders. Pure C++; no DPDK.
//
// Rules are looked up by tuple-space search: rules with the same mask share a
// hash table keyed by the masked fields, so a lookup costs one probe per mask
// group, not one comparison per rule (tools/bench/dispatch_cost measures it).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
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
  static constexpr size_t kKeyWords = 6;
  struct alignas(8) Key {
    uint8_t bytes[8 * kKeyWords];
    bool operator==(const Key& o) const;
    uint64_t word(size_t i) const;
  };
  // One mask group: an open-addressing table (power-of-two slots, linear
  // probing, load at most 1/2) keyed by only the key words the mask touches.
  // A probe costs a multiply per used word and, for a miss, usually one slot:
  // no division, no node to chase, and the same cost at 10 rules or 100,000.
  struct Group {
    Key mask;
    uint64_t word_mask[kKeyWords] = {};
    uint8_t used[kKeyWords] = {};  // indexes of the words the mask touches
    uint8_t n_used = 0;
    uint32_t best_priority = UINT32_MAX;
    uint32_t slot_mask = 0;
    std::vector<uint32_t> rule;  // per slot: rule index, or kEmpty
    std::vector<uint32_t> sig;   // per slot: the hash's high half
    std::vector<uint64_t> keys;  // per slot: n_used masked words
    static constexpr uint32_t kEmpty = UINT32_MAX;
    uint64_t hash(const uint64_t* masked) const;
    // The rule index stored for `masked` (n_used words), or kEmpty.
    uint32_t find(const uint64_t* masked, uint64_t h) const;
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
