#include "steer/steering.h"

#include <algorithm>
#include <cstring>

#include "steer/text.h"

namespace steer {
namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

uint16_t get16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}

}  // namespace

PacketFields parse_fields(const uint8_t* f, size_t len) {
  PacketFields p;
  if (len < 14) return p;
  size_t off = 12;
  p.eth_type = get16(f + off);
  off += 2;
  if (p.eth_type == 0x8100 && len >= off + 4) {
    p.has_vlan = true;
    p.vlan = get16(f + off) & 0x0fff;
    p.eth_type = get16(f + off + 2);
    off += 4;
  }
  if (p.eth_type == 0x0800 && len >= off + 20) {
    p.ipv4 = true;
    p.proto = f[off + 9];
    std::memcpy(p.src, f + off + 12, 4);
    std::memcpy(p.dst, f + off + 16, 4);
    const bool fragment = (get16(f + off + 6) & 0x3fff) != 0;  // later fragments carry no ports
    off += size_t(f[off] & 0x0f) * 4;
    if (fragment) return p;
  } else if (p.eth_type == 0x86dd && len >= off + 40) {
    p.ipv6 = true;
    p.proto = f[off + 6];
    std::memcpy(p.src, f + off + 8, 16);
    std::memcpy(p.dst, f + off + 24, 16);
    off += 40;
  } else {
    return p;
  }
  if ((p.proto == 6 || p.proto == 17) && len >= off + 4) {
    p.has_ports = true;
    p.sport = get16(f + off);
    p.dport = get16(f + off + 2);
  }
  return p;
}

size_t rss_tuple(const PacketFields& f, uint32_t types, uint8_t* out) {
  size_t alen;
  bool l3, l4;
  if (f.ipv4) {
    alen = 4;
    l3 = types & kRssIpv4;
    l4 = f.has_ports && ((f.proto == 6 && (types & kRssIpv4Tcp)) || (f.proto == 17 && (types & kRssIpv4Udp)));
  } else if (f.ipv6) {
    alen = 16;
    l3 = types & kRssIpv6;
    l4 = f.has_ports && ((f.proto == 6 && (types & kRssIpv6Tcp)) || (f.proto == 17 && (types & kRssIpv6Udp)));
  } else {
    return 0;
  }
  if (!l3 && !l4) return 0;
  std::memcpy(out, f.src, alen);
  std::memcpy(out + alen, f.dst, alen);
  if (!l4) return 2 * alen;
  put16(out + 2 * alen, f.sport);
  put16(out + 2 * alen + 2, f.dport);
  return 2 * alen + 4;
}

// Key layout (48 bytes): eth_type 0-1, VLAN 2-3 (0x1000 | id when tagged),
// proto 4, sport 8-9, dport 10-11, src 16-31 (IPv4 in 16-19), dst 32-47.
constexpr size_t kKeyVlan = 2, kKeyProto = 4, kKeySport = 8, kKeyDport = 10, kKeySrc = 16, kKeyDst = 32;

SteeringTable::Key SteeringTable::key_of(const PacketFields& f) {
  Key k{};
  put16(k.bytes, f.eth_type);
  put16(k.bytes + kKeyVlan, f.has_vlan ? uint16_t(0x1000 | f.vlan) : 0);
  k.bytes[kKeyProto] = f.proto;
  put16(k.bytes + kKeySport, f.sport);
  put16(k.bytes + kKeyDport, f.dport);
  std::memcpy(k.bytes + kKeySrc, f.src, 16);
  std::memcpy(k.bytes + kKeyDst, f.dst, 16);
  return k;
}

bool SteeringTable::Key::operator==(const Key& o) const {
  return std::memcmp(bytes, o.bytes, sizeof bytes) == 0;
}

uint64_t SteeringTable::Key::word(size_t i) const {
  uint64_t w;
  std::memcpy(&w, bytes + 8 * i, 8);
  return w;
}

uint64_t SteeringTable::Group::hash(const uint64_t* masked) const {
  // Multiplication only carries bits upward, so keys that differ in a word's
  // high bytes (the last address bytes, read little-endian) would share their
  // low bits, and so their slots: a full avalanche at the end (the 64-bit
  // finaliser of MurmurHash3) spreads them. Without it, the IPv6 rules of
  // tools/bench/dispatch_cost probed clusters thousands of slots long.
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (uint8_t i = 0; i < n_used; ++i) h = (h ^ masked[i]) * 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint32_t SteeringTable::Group::find(const uint64_t* masked, uint64_t h) const {
  const uint32_t s = uint32_t(h >> 32);
  for (uint32_t i = uint32_t(h) & slot_mask;; i = (i + 1) & slot_mask) {
    if (rule[i] == kEmpty) return kEmpty;
    if (sig[i] == s && std::memcmp(&keys[size_t(i) * n_used], masked, n_used * sizeof(uint64_t)) == 0) return rule[i];
  }
}

SteeringTable::Key SteeringTable::mask_of(const FlowMatch& m, Key* value) {
  Key mask{}, v{};
  uint16_t eth = m.eth_type.value_or(0);
  if (m.ipv4_src || m.ipv4_dst) eth = 0x0800;
  if (m.ipv6_src || m.ipv6_dst) eth = 0x86dd;
  uint8_t proto = m.ip_proto.value_or(0);
  if (m.tcp_src || m.tcp_dst) proto = 6;
  if (m.udp_src || m.udp_dst) proto = 17;
  if (eth || m.eth_type) {
    put16(mask.bytes, 0xffff);
    put16(v.bytes, eth);
  }
  if (proto) {
    mask.bytes[kKeyProto] = 0xff;
    v.bytes[kKeyProto] = proto;
  }
  if (m.vlan) {
    put16(mask.bytes + kKeyVlan, 0x1fff);
    put16(v.bytes + kKeyVlan, uint16_t(0x1000 | (*m.vlan & 0x0fff)));
  }
  const PortMatch* sp = m.tcp_src ? &*m.tcp_src : m.udp_src ? &*m.udp_src : nullptr;
  const PortMatch* dp = m.tcp_dst ? &*m.tcp_dst : m.udp_dst ? &*m.udp_dst : nullptr;
  if (sp) {
    put16(mask.bytes + kKeySport, sp->mask);
    put16(v.bytes + kKeySport, sp->value & sp->mask);
  }
  if (dp) {
    put16(mask.bytes + kKeyDport, dp->mask);
    put16(v.bytes + kKeyDport, dp->value & dp->mask);
  }
  auto addr = [&](size_t at, const uint8_t* a, size_t n, unsigned len) {
    prefix_mask(mask.bytes + at, n, len);
    for (size_t i = 0; i < n; ++i) v.bytes[at + i] = a[i] & mask.bytes[at + i];
  };
  if (m.ipv4_src) addr(kKeySrc, m.ipv4_src->data(), 4, m.ipv4_src_len);
  if (m.ipv4_dst) addr(kKeyDst, m.ipv4_dst->data(), 4, m.ipv4_dst_len);
  if (m.ipv6_src) addr(kKeySrc, m.ipv6_src->data(), 16, m.ipv6_src_len);
  if (m.ipv6_dst) addr(kKeyDst, m.ipv6_dst->data(), 16, m.ipv6_dst_len);
  *value = v;
  return mask;
}

SteeringTable::SteeringTable(const SteeringConfig& cfg) : cfg_(cfg), toeplitz_(cfg.rss.key) {
  struct Entry {
    Key value;
    uint32_t rule;
  };
  std::vector<std::vector<Entry>> entries;  // per group
  for (uint32_t i = 0; i < cfg_.flows.size(); ++i) {
    Key value;
    Key mask = mask_of(cfg_.flows[i].match, &value);
    auto g = std::find_if(groups_.begin(), groups_.end(), [&](const Group& x) { return x.mask == mask; });
    if (g == groups_.end()) {
      Group fresh;
      fresh.mask = mask;
      for (size_t w = 0; w < kKeyWords; ++w) {
        fresh.word_mask[w] = mask.word(w);
        if (fresh.word_mask[w]) fresh.used[fresh.n_used++] = uint8_t(w);
      }
      groups_.push_back(std::move(fresh));
      entries.emplace_back();
      g = groups_.end() - 1;
    }
    g->best_priority = std::min(g->best_priority, cfg_.flows[i].priority);
    entries[size_t(g - groups_.begin())].push_back({value, i});
  }
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    Group& g = groups_[gi];
    size_t slots = 8;
    while (slots < 2 * entries[gi].size()) slots *= 2;
    g.slot_mask = uint32_t(slots - 1);
    g.rule.assign(slots, Group::kEmpty);
    g.sig.assign(slots, 0);
    g.keys.assign(slots * g.n_used, 0);
    for (const Entry& e : entries[gi]) {
      uint64_t masked[kKeyWords];
      for (uint8_t u = 0; u < g.n_used; ++u) masked[u] = e.value.word(g.used[u]);
      const uint64_t h = g.hash(masked);
      uint32_t i = uint32_t(h) & g.slot_mask;
      // The same masked key twice: the lower priority number wins.
      while (g.rule[i] != Group::kEmpty &&
             std::memcmp(&g.keys[size_t(i) * g.n_used], masked, g.n_used * sizeof(uint64_t)) != 0)
        i = (i + 1) & g.slot_mask;
      if (g.rule[i] == Group::kEmpty || cfg_.flows[e.rule].priority < cfg_.flows[g.rule[i]].priority) {
        g.rule[i] = e.rule;
        g.sig[i] = uint32_t(h >> 32);
        std::memcpy(&g.keys[size_t(i) * g.n_used], masked, g.n_used * sizeof(uint64_t));
      }
    }
  }
  std::sort(groups_.begin(), groups_.end(),
            [](const Group& a, const Group& b) { return a.best_priority < b.best_priority; });
}

uint32_t SteeringTable::hash(const PacketFields& f) const {
  uint8_t tuple[ToeplitzTable::kMaxInput];
  const size_t n = rss_tuple(f, cfg_.rss.types, tuple);
  return n ? toeplitz_.hash(tuple, n) : 0;
}

SteerVerdict SteeringTable::classify(const PacketFields& f) const {
  SteerVerdict v;
  v.hash = hash(f);
  const auto& reta = cfg_.rss.reta;
  v.queue = reta[v.hash % reta.size()];
  if (groups_.empty()) return v;
  const Key k = key_of(f);
  int32_t best = -1;
  uint32_t best_prio = UINT32_MAX;
  uint64_t words[kKeyWords];
  for (size_t w = 0; w < kKeyWords; ++w) words[w] = k.word(w);
  for (const Group& g : groups_) {
    if (g.best_priority >= best_prio) break;
    uint64_t masked[kKeyWords];
    for (uint8_t u = 0; u < g.n_used; ++u) masked[u] = words[g.used[u]] & g.word_mask[g.used[u]];
    const uint32_t r = g.find(masked, g.hash(masked));
    if (r != Group::kEmpty && cfg_.flows[r].priority < best_prio) {
      best = int32_t(r);
      best_prio = cfg_.flows[r].priority;
    }
  }
  if (best < 0) return v;
  const FlowActionSpec& a = cfg_.flows[size_t(best)].action;
  v.rule = best;
  if (a.mark) {
    v.marked = true;
    v.mark = *a.mark;
  }
  if (a.drop)
    v.kind = SteerVerdict::Drop;
  else if (a.queue)
    v.queue = *a.queue;
  else if (!a.rss.empty())
    v.queue = a.rss[v.hash % a.rss.size()];
  return v;
}

std::vector<uint16_t> reta_spread(uint32_t size, const std::vector<uint16_t>& queues) {
  std::vector<uint16_t> r(size);
  for (uint32_t i = 0; i < size && !queues.empty(); ++i) r[i] = queues[i % queues.size()];
  return r;
}

std::vector<uint16_t> reta_weights(uint32_t size, const std::map<uint16_t, uint32_t>& weights) {
  // Smooth weighted round-robin: interleaves queues in proportion.
  std::vector<uint16_t> r;
  std::map<uint16_t, int64_t> current;
  int64_t total = 0;
  for (auto [q, w] : weights) total += w;
  if (!total) return std::vector<uint16_t>(size, 0);
  for (uint32_t i = 0; i < size; ++i) {
    uint16_t pick = 0;
    int64_t best = INT64_MIN;
    for (auto [q, w] : weights) {
      current[q] += w;
      if (current[q] > best) {
        best = current[q];
        pick = q;
      }
    }
    current[pick] -= total;
    r.push_back(pick);
  }
  return r;
}

std::vector<ConfigError> validate_steering(const SteeringConfig& s, uint16_t queues, const std::string& path) {
  std::vector<ConfigError> errs;
  auto err = [&](const std::string& p, const std::string& m) { errs.push_back({path + "." + p, m}); };
  const std::string range = queues == 1 ? "queue 0" : "queues 0-" + std::to_string(queues - 1);
  if (s.rss.key.size() != 40 && s.rss.key.size() != 52)
    err("rss.key", std::to_string(s.rss.key.size()) + " bytes; an RSS key is 40 or 52 bytes (80 or 104 hex digits)");
  if (s.rss.reta.empty() || s.rss.reta.size() > 65536)
    err("rss.reta", std::to_string(s.rss.reta.size()) + " entries; a RETA has 1 to 65536 (128 or 512 are usual)");
  for (size_t i = 0; i < s.rss.reta.size(); ++i)
    if (s.rss.reta[i] >= queues) {
      err("rss.reta[" + std::to_string(i) + "]",
          "queue " + std::to_string(s.rss.reta[i]) + " does not exist; this port steers to " + range);
      break;
    }
  if (s.rss.types & ~uint32_t(kRssAll)) err("rss.types", "unknown hash type bits");
  if (s.drain_timeout_ms < 1 || s.drain_timeout_ms > 60000)
    err("drain_timeout_ms", std::to_string(s.drain_timeout_ms) + " is out of range; use 1-60000");
  if (s.flows.size() > kMaxRules) {
    err("flows", std::to_string(s.flows.size()) + " rules; a port holds at most " + std::to_string(kMaxRules));
    return errs;
  }
  std::map<std::string, size_t> names;
  std::map<uint32_t, size_t> prios;
  size_t over = 0;
  for (size_t i = 0; i < s.flows.size(); ++i) {
    if (errs.size() >= kMaxErrors) {
      over = s.flows.size() - i;
      break;
    }
    const FlowRule& r = s.flows[i];
    const std::string p = "flows[" + std::to_string(i) + "]";
    const bool name_ok = r.name.size() <= kMaxRuleName &&
                         r.name.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == std::string::npos;
    if (r.name.empty())
      err(p + ".name", "every rule needs a name (it is how rules are deleted and replaced)");
    else if (!name_ok)
      err(p + ".name",
          "a rule name is 1-" + std::to_string(kMaxRuleName) + " letters, digits, '_', '.', ':' or '-'; rename it");
    else if (auto [it, fresh] = names.emplace(r.name, i); !fresh)
      err(p + ".name", "\"" + r.name + "\" is already the name of flows[" + std::to_string(it->second) + "]");
    if (auto [it, fresh] = prios.emplace(r.priority, i); !fresh)
      err(p + ".priority", std::to_string(r.priority) + " is also the priority of flows[" + std::to_string(it->second) +
                               "] (" + s.flows[it->second].name +
                               "); lower numbers win, so two rules may not tie: give one another priority");
    const FlowActionSpec& a = r.action;
    const int kinds = int(a.queue.has_value()) + int(!a.rss.empty()) + int(a.drop);
    if (kinds > 1) err(p + ".action", "choose one of queue, rss or drop (mark may go with queue or rss)");
    if (kinds == 0 && !a.mark) err(p + ".action", "empty; give queue: N, rss: [queues], drop: true or mark: N");
    if (a.drop && a.mark) err(p + ".action", "a dropped packet cannot carry a mark; remove mark or drop");
    if (a.queue && *a.queue >= queues)
      err(p + ".action.queue", "queue " + std::to_string(*a.queue) + " does not exist; this port steers to " + range);
    if (a.rss.size() > kMaxRuleRssQueues)
      err(p + ".action.rss",
          std::to_string(a.rss.size()) + " queues; list at most " + std::to_string(kMaxRuleRssQueues));
    for (size_t j = 0; j < a.rss.size() && j < kMaxRuleRssQueues; ++j)
      if (a.rss[j] >= queues)
        err(p + ".action.rss[" + std::to_string(j) + "]",
            "queue " + std::to_string(a.rss[j]) + " does not exist; this port steers to " + range);
    const FlowMatch& m = r.match;
    const bool v4 = m.ipv4_src || m.ipv4_dst, v6 = m.ipv6_src || m.ipv6_dst;
    const bool tcp = m.tcp_src || m.tcp_dst, udp = m.udp_src || m.udp_dst;
    if (v4 && v6) err(p + ".match", "matches both IPv4 and IPv6 addresses; a packet is one or the other");
    if (tcp && udp) err(p + ".match", "matches both TCP and UDP ports; a packet is one or the other");
    if (m.eth_type && ((v4 && *m.eth_type != 0x0800) || (v6 && *m.eth_type != 0x86dd)))
      err(p + ".match.eth_type", "contradicts the IP addresses matched");
    if (m.ip_proto && ((tcp && *m.ip_proto != 6) || (udp && *m.ip_proto != 17)))
      err(p + ".match.ip_proto", "contradicts the TCP/UDP ports matched");
    if (m.vlan && *m.vlan > 4095) err(p + ".match.vlan", std::to_string(*m.vlan) + " is not a VLAN id (0-4095)");
    if (m.ipv4_src_len > 32 || m.ipv4_dst_len > 32) err(p + ".match", "IPv4 prefix longer than 32");
    if (m.ipv6_src_len > 128 || m.ipv6_dst_len > 128) err(p + ".match", "IPv6 prefix longer than 128");
  }
  if (over)
    err("flows",
        "and " + std::to_string(over) + " more rules not checked after " + std::to_string(kMaxErrors) + " errors");
  return errs;
}

}  // namespace steer
