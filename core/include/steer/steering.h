// Steering as data: the compiled table a software dispatcher classifies with
// (Toeplitz over the tuple the hash types select, rules first by priority,
// then the RETA), its validation, and RETA builders. Pure C++; no DPDK.
//
// Rules are looked up by tuple-space search: rules with the same mask share a
// hash table keyed by the masked fields, so a lookup costs one probe per mask
// group, not one comparison per rule. Groups that constrain the same fields
// form a cluster, and a cluster of several groups has a filter: the set of
// its rules' values under the mask all its groups share (the shortest
// prefix of each address, the common bits of each port). A packet whose value
// is not in the set matches no rule of the cluster, so a miss costs one probe
// per cluster. classify_burst does this for a whole burst, one stage at a time
// across its packets (each group's hash and signature-bit stage optionally
// eight packets a vector with AVX-512), with the table slots prefetched so that
// the probes of a burst overlap. The key is PacketFields' own bytes. The
// dispatcher parses a frame's key and Toeplitz tuple in one pass
// (parse_fields_and_tuple, then classify_hashed), or, for a table with no
// rules, only its tuple (frame_tuple, hash_tuples, reta_queue).
// tools/bench/dispatch_cost measures it.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "steer/model.h"
#include "steer/toeplitz.h"
#include "steer/validate.h"

namespace steer {

// What classification reads from a frame. Its bytes are the steering key
// (SteeringTable masks them a word at a time), so every byte is a named
// member that starts at zero, and the layout is fixed: 16-bit fields in host
// order, addresses in network order.
struct alignas(8) PacketFields {
  uint16_t eth_type = 0;  // after an optional VLAN tag
  uint16_t vlan = 0;      // VLAN id, 0 when untagged
  uint8_t proto = 0;
  bool has_vlan = false;
  bool ipv4 = false, ipv6 = false;
  uint16_t sport = 0, dport = 0;
  bool has_ports = false;  // TCP or UDP header present
  uint8_t reserved[3] = {};
  uint8_t src[16] = {}, dst[16] = {};  // IPv4 in the first 4 bytes
};
static_assert(sizeof(PacketFields) == 48, "PacketFields is the steering key: six words, no padding");

PacketFields parse_fields(const uint8_t* frame, size_t len);

namespace detail {
inline uint16_t get16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
}  // namespace detail

namespace detail {
// parse_fields_into, and with kTuple also the Toeplitz tuple under `types`
// as rss_tuple would write it from the fields (returning its length; 0 when
// the packet is not hashed): the dispatcher takes both in one pass.
template <bool kTuple>
[[gnu::always_inline]] inline size_t parse_frame(const uint8_t* f, size_t len, PacketFields& p, uint32_t types,
                                                 uint8_t* out) {
  p = PacketFields{};
  if (len < 14) return 0;
  size_t off = 12;
  p.eth_type = get16(f + off);
  off += 2;
  if (p.eth_type == 0x8100 && len >= off + 4) {
    p.has_vlan = true;
    p.vlan = get16(f + off) & 0x0fff;
    p.eth_type = get16(f + off + 2);
    off += 4;
  }
  size_t alen;
  bool l3 = false, tcp = false, udp = false;
  if (p.eth_type == 0x0800 && len >= off + 20) {
    p.ipv4 = true;
    p.proto = f[off + 9];
    std::memcpy(p.src, f + off + 12, 4);
    std::memcpy(p.dst, f + off + 16, 4);
    const bool fragment = (get16(f + off + 6) & 0x3fff) != 0;  // later fragments carry no ports
    off += size_t(f[off] & 0x0f) * 4;
    alen = 4;
    if constexpr (kTuple) {
      std::memcpy(out, p.src, 4);
      std::memcpy(out + 4, p.dst, 4);
      l3 = types & kRssIpv4;
      tcp = types & kRssIpv4Tcp;
      udp = types & kRssIpv4Udp;
    }
    if (fragment) return l3 ? 8 : 0;
  } else if (p.eth_type == 0x86dd && len >= off + 40) {
    p.ipv6 = true;
    p.proto = f[off + 6];
    std::memcpy(p.src, f + off + 8, 16);
    std::memcpy(p.dst, f + off + 24, 16);
    off += 40;
    alen = 16;
    if constexpr (kTuple) {
      std::memcpy(out, f + off - 32, 32);
      l3 = types & kRssIpv6;
      tcp = types & kRssIpv6Tcp;
      udp = types & kRssIpv6Udp;
    }
  } else {
    return 0;
  }
  if ((p.proto == 6 || p.proto == 17) && len >= off + 4) {
    p.has_ports = true;
    p.sport = get16(f + off);
    p.dport = get16(f + off + 2);
    if constexpr (kTuple) {
      if ((p.proto == 6 && tcp) || (p.proto == 17 && udp)) {
        std::memcpy(out + 2 * alen, f + off, 4);  // both ports, in network order
        return 2 * alen + 4;
      }
    }
  }
  return l3 ? 2 * alen : 0;
}
}  // namespace detail

// The same, written in place: a burst's parser fills its array directly (a
// returned struct copied with wide loads from the parser's narrow stores
// cannot be store-forwarded and stalled the dispatcher ~15 cycles a packet).
// Inline: the dispatcher parses every packet, and a call per packet cost it.
[[gnu::always_inline]] inline void parse_fields_into(const uint8_t* f, size_t len, PacketFields& p) {
  detail::parse_frame<false>(f, len, p, 0, nullptr);
}

// parse_fields_into, and the frame's Toeplitz tuple under `types` written to
// `out` (kMaxInput bytes) in the same pass: returns rss_tuple(p, types, out)
// and writes what it writes (the dispatcher's parser when a table has rules).
[[gnu::always_inline]] inline size_t parse_fields_and_tuple(const uint8_t* f, size_t len, uint32_t types,
                                                            PacketFields& p, uint8_t* out) {
  return detail::parse_frame<true>(f, len, p, types, out);
}

// The Toeplitz input for a packet under `types`: src, dst addresses, then
// ports when its L4 type is enabled (network byte order). Returns its length,
// 0 when the packet is not hashed.
size_t rss_tuple(const PacketFields& f, uint32_t types, uint8_t out[ToeplitzTable::kMaxInput]);

// rss_tuple(parse_fields(f, len), types, out) straight from the frame's
// bytes, with no PacketFields between: the parser of a dispatcher whose table
// has no rules, where the tuple is all a packet is read for. It may write up
// to kMaxInput bytes of `out` for a frame it returns 0 for.
[[gnu::always_inline]] inline size_t frame_tuple(const uint8_t* f, size_t len, uint32_t types, uint8_t* out) {
  if (len < 14) return 0;
  size_t off = 14;
  uint16_t eth_type = detail::get16(f + 12);
  if (eth_type == 0x8100 && len >= 18) {
    eth_type = detail::get16(f + 16);
    off = 18;
  }
  size_t alen, l4;
  uint8_t proto;
  bool l3, tcp, udp, fragment = false;
  if (eth_type == 0x0800 && len >= off + 20) {
    alen = 4;
    proto = f[off + 9];
    std::memcpy(out, f + off + 12, 8);
    fragment = (detail::get16(f + off + 6) & 0x3fff) != 0;  // later fragments carry no ports
    l4 = off + size_t(f[off] & 0x0f) * 4;
    l3 = types & kRssIpv4;
    tcp = types & kRssIpv4Tcp;
    udp = types & kRssIpv4Udp;
  } else if (eth_type == 0x86dd && len >= off + 40) {
    alen = 16;
    proto = f[off + 6];
    std::memcpy(out, f + off + 8, 32);
    l4 = off + 40;
    l3 = types & kRssIpv6;
    tcp = types & kRssIpv6Tcp;
    udp = types & kRssIpv6Udp;
  } else {
    return 0;
  }
  const bool ports = !fragment && len >= l4 + 4 && ((proto == 6 && tcp) || (proto == 17 && udp));
  if (!ports) return l3 ? 2 * alen : 0;
  std::memcpy(out + 2 * alen, f + l4, 4);  // both ports, already in network order
  return 2 * alen + 4;
}

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
  // `cfg` must be validated (validate_steering) with a non-empty RETA. A rule
  // index in a verdict is the rule's position in cfg.flows.
  explicit SteeringTable(const SteeringConfig& cfg);

  // Changes this table in place: the RSS key, types and RETA become `rss`;
  // the rules in `erase` (their form in this table, as a ChangePlan's
  // destroyed_rules) go, those in `insert` come. Costs what it changes: a
  // change of k rules against n does O(k) work, except that a mask no rule
  // had before, or the last rule of a mask leaving, rebuilds the filter of
  // that mask's cluster. After an update, verdicts' rule indexes are the
  // table's own (not positions in a config); a rule's priority names it.
  // Must not run while another thread classifies with this table.
  void update(const RssConfig& rss, const std::vector<FlowRule>& erase, const std::vector<FlowRule>& insert);

  // One packet, group by group: the reference classify_burst must agree with
  // (the hardware drain's path, where packets are few).
  SteerVerdict classify(const PacketFields& f) const;
  // `n` packets (any number), the dispatcher's path. out[i] is what
  // classify(f[i]) returns.
  void classify_burst(const PacketFields* f, size_t n, SteerVerdict* out) const;
  // classify_burst with each packet's RSS hash given: hashes[i] must be what
  // hash(f[i]) returns (hash_tuples of the tuple parse_fields_and_tuple wrote
  // with f[i]). The dispatcher's path when the table has rules.
  void classify_hashed(const PacketFields* f, const uint32_t* hashes, size_t n, SteerVerdict* out) const;
  uint32_t hash(const PacketFields& f) const;
  size_t groups() const { return groups_.size(); }
  bool gfni() const { return use_gfni_; }
  // The RETA-only path, for a dispatcher whose table has no rules (every
  // verdict is then the RSS one): it writes each frame's tuple with
  // frame_tuple(..., types(), ...) kTupleStride bytes apart, hashes them all
  // with hash_tuples (GFNI where classify_burst uses it) and takes each
  // packet's queue from reta_queue.
  bool no_rules() const { return rules_.size() == free_.size(); }
  uint32_t types() const { return types_; }
  static constexpr size_t kTupleStride = ToeplitzGfni::kStride;
  void hash_tuples(const uint8_t* tuples, const size_t* len, size_t n, uint32_t* out) const;
  uint16_t reta_queue(uint32_t h) const { return reta_mask_ ? reta_[h & reta_mask_] : reta_[h % reta_.size()]; }
  // The group lookups' first stage (hash, signature bit) a packet at a
  // time, or eight packets a vector with AVX-512 (F, DQ, BW, VL) where the
  // CPU has it and STEER_LOOKUP=vector is in the environment when the table
  // is built. Scalar is the default: in the dispatcher the vector form was
  // slower at few groups on the machine it was measured on (BENCHMARKS.md,
  // step 10). Tests and benches switch forms to compare them (not while
  // another thread classifies with this table).
  bool vector_lookup() const { return use_vector_; }
  void use_vector_lookup(bool on) { use_vector_ = on && vector_lookup_supported(); }
  static bool vector_lookup_supported();  // the CPU has the instructions
  static bool vector_lookup_default();    // supported, and STEER_LOOKUP=vector
  size_t clusters() const { return clusters_.size(); }
  size_t rules() const { return rules_.size() - free_.size(); }
  size_t rule_slots() const { return rules_.size(); }  // every verdict's rule index is below this
  uint32_t rule_priority(int32_t rule) const { return rules_[size_t(rule)].priority; }
  // Every group's and filter's signature bits are exactly those of the keys
  // it holds, with exact counts (tests: a bit left set after its last key
  // went costs a probe, not a verdict, so only this can see it).
  bool signature_bits_exact() const;

 private:
  static constexpr size_t kKeyWords = 6;
  struct alignas(8) Key {
    uint8_t bytes[8 * kKeyWords];
    bool operator==(const Key& o) const;
    uint64_t word(size_t i) const;
  };
  // What classification needs of a rule: its priority and its action, in 20
  // bytes (an rss action's queues are in rss_).
  struct Rule {
    enum Kind : uint8_t { Free, Queue, Rss, Drop, MarkOnly };
    uint32_t priority = UINT32_MAX;
    uint32_t mark = 0;
    uint32_t rss_off = 0;
    uint16_t queue = 0, rss_len = 0;
    Kind kind = Free;
    bool marked = false;
  };
  // One mask group: an open-addressing table (power-of-two slots, linear
  // probing, load at most 1/kRoom) keyed by only the key words the mask
  // touches. A probe costs a multiply per used word and, for a miss, usually
  // one slot: no division, no node to chase, and the same cost at 10 rules or
  // 100,000. In front of it, the signature bits below.
  // A slot holds the best rule of its key; rules with the same key and a
  // worse priority follow it in next_same_. In a cluster's filter, `rule`
  // counts the rules whose value it holds.
  struct Slot {
    uint32_t sig;   // the hash's high half
    uint32_t rule;  // rule index, or kEmpty
  };
  struct Group {
    Key mask;
    uint64_t word_mask[kKeyWords] = {};
    uint8_t used[kKeyWords] = {};  // indexes of the words the mask touches
    uint8_t n_used = 0;
    uint32_t fields = 0;                  // the key fields the mask constrains (field_set)
    uint32_t best_priority = UINT32_MAX;  // no rule of the group ranks higher (a bound after erases)
    uint32_t slot_mask = 0;
    uint32_t occupied = 0;
    std::vector<Slot> slots;
    std::vector<uint64_t> keys;  // per slot: n_used masked words
    // A bit per signature value (its low bits): set while a key of the group
    // has it. A packet whose bit is clear has no key here, so a miss is
    // usually decided by one bit, without a branch on a slot (at load 1/2,
    // "is the first slot empty" is a coin a predictor cannot learn).
    // kBitsPerSlot bits a slot is at least 16 bits a key: 1 miss in 16 probes.
    // sig_bit_keys counts the keys on each bit (the control side's; a count
    // at 255 stays, and its bit with it).
    static constexpr size_t kBitsPerSlot = 8;
    std::vector<uint64_t> sig_bits;
    std::vector<uint8_t> sig_bit_keys;
    uint32_t sig_bits_mask = 0;
    static constexpr uint32_t kEmpty = UINT32_MAX;
    static constexpr size_t kRoom = 2;  // slots per key, at least
    void set_mask(const Key& m);
    void size_for(size_t n);    // empty, with room for n keys
    void reserve(size_t more);  // room for `more` keys beyond those held, without growing on the way
    uint64_t hash(const uint64_t* masked) const;
    // The rule index stored for `masked` (n_used words), or kEmpty.
    uint32_t find(const uint64_t* masked, uint64_t h) const;
    // The slot holding `masked`, or the empty slot where it would go.
    uint32_t probe(const uint64_t* masked, uint64_t h) const;
    bool holds(uint32_t i, const uint64_t* masked, uint32_t sig) const;
    // Stores `rule` for `masked` at probe()'s empty slot i (growing first
    // when at load 1/kRoom, so `i` is re-probed).
    void place(const uint64_t* masked, uint64_t h, uint32_t rule, uint32_t i);
    void remove_slot(uint32_t i);  // backward-shift deletion: no tombstones
    void mark(uint32_t sig);       // a key with this signature came
    void unmark(uint32_t sig);     // one went
    bool bits_exact() const;
    // The key words of `words` under the mask; returns their hash.
    uint64_t mask_words(const uint64_t* words, uint64_t* masked) const;
    // find for a mask of N words (N == n_used): the burst path's, with the
    // word loop unrolled.
    template <unsigned N>
    uint32_t find_n(const uint64_t* masked, uint64_t h) const;
    const Slot* slot_for(uint64_t h) const { return &slots[uint32_t(h) & slot_mask]; }
  };
  // Groups [first, first + count) of groups_ (ascending best_priority) all
  // constrain the same fields; `filter` (when count > 1) holds their rules'
  // values under the mask they share.
  struct Cluster {
    uint32_t best_priority = UINT32_MAX;
    uint32_t fields = 0;
    uint32_t first = 0, count = 0;
    bool filtered = false;
    Group filter;
  };
  static constexpr size_t kChunk = 32;  // classify_burst works in chunks of this many packets
  void classify_chunk(const PacketFields* f, const uint32_t* hashes, size_t n, SteerVerdict* out) const;
  void apply_rule(SteerVerdict& v, int32_t rule) const;
  static Key key_of(const PacketFields& f);
  static Key mask_of(const FlowMatch& m, Key* value);
  void set_rss(const RssConfig& rss);
  uint32_t compile(const FlowRule& r);  // a Rule for r in rules_; returns its index
  void release(uint32_t rule);
  size_t group_of(const Key& mask) const;  // index in groups_, or groups_.size()
  size_t group_for(const Key& mask);       // group_of, appending an empty group (unsized) when there is none
  void insert_rule(Group& g, const Key& value, uint32_t rule);
  bool erase_rule(Group& g, const Key& value, uint32_t priority);  // true: found
  // Orders groups into clusters (by fields, then best priority) and clusters
  // by best priority; rebuilds the filters of the clusters whose fields are
  // in `rebuild` (all: ~0u).
  void arrange(const std::vector<uint32_t>& rebuild);
  void fill_filter(Cluster& c);
  Cluster* cluster_of(uint32_t fields);

  uint32_t types_ = 0;
  std::vector<uint16_t> reta_;
  std::vector<uint8_t> toeplitz_key_;  // the key toeplitz_ and gfni_ were made for
  ToeplitzTable toeplitz_;
  ToeplitzGfni gfni_;
  bool use_gfni_ = false;
  bool use_vector_ = false;
  uint32_t reta_mask_ = 0;  // RETA size - 1 when a power of two (no division), else 0
  std::vector<Rule> rules_;
  std::vector<uint32_t> next_same_;  // per rule: the next (worse) rule with the same masked key, or kEmpty
  std::vector<uint32_t> free_;       // unused indexes of rules_
  std::vector<uint16_t> rss_;        // rss actions' queues
  size_t rss_garbage_ = 0;           // entries of rss_ no rule uses
  std::vector<Group> groups_;        // by cluster, then ascending best_priority
  std::vector<Cluster> clusters_;    // ascending best_priority
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
// Parts of it, for a change that knows which rules it touched (plan_change):
// true when validate_steering's checks that do not look at rules pass (and
// the rule count is within bounds); true when one rule's name, action and
// match pass (its name and priority are not compared with other rules').
bool steering_globals_valid(const SteeringConfig& s, uint16_t queues);
bool rule_valid_alone(const FlowRule& r, uint16_t queues);

// RETA builders: `size` buckets round-robin over `queues`; or by weights
// (bucket shares proportional, interleaved).
std::vector<uint16_t> reta_spread(uint32_t size, const std::vector<uint16_t>& queues);
std::vector<uint16_t> reta_weights(uint32_t size, const std::map<uint16_t, uint32_t>& weights);

}  // namespace steer
