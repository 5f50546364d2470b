#include <rte_byteorder.h>
#include <rte_errno.h>

#include <cstring>
#include <map>

#include "steer/hw_steering.h"
#include "steer/text.h"

namespace steer {

uint64_t rss_hf(uint32_t t) {
  uint64_t hf = 0;
  if (t & kRssIpv4) hf |= RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER;
  if (t & kRssIpv4Tcp) hf |= RTE_ETH_RSS_NONFRAG_IPV4_TCP;
  if (t & kRssIpv4Udp) hf |= RTE_ETH_RSS_NONFRAG_IPV4_UDP;
  if (t & kRssIpv6) hf |= RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER;
  if (t & kRssIpv6Tcp) hf |= RTE_ETH_RSS_NONFRAG_IPV6_TCP;
  if (t & kRssIpv6Udp) hf |= RTE_ETH_RSS_NONFRAG_IPV6_UDP;
  return hf;
}

std::vector<rte_eth_rss_reta_entry64> reta_entries(const std::vector<uint16_t>& reta, uint16_t size) {
  std::vector<rte_eth_rss_reta_entry64> e((size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE);
  for (uint16_t i = 0; i < size; ++i) {
    auto& g = e[i / RTE_ETH_RETA_GROUP_SIZE];
    g.mask |= uint64_t(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
    g.reta[i % RTE_ETH_RETA_GROUP_SIZE] = reta.empty() ? 0 : reta[i % reta.size()];
  }
  return e;
}

namespace {

enum class Family { Unsaid, V4, V6 };

std::unique_ptr<FlowRuleSpec> translate_one(const FlowRule& r, const RssConfig& rss, uint16_t all_queues, Family fam) {
  auto s = std::make_unique<FlowRuleSpec>();
  const FlowMatch& m = r.match;
  s->attr.ingress = 1;
  s->attr.priority = r.priority;

  const bool v4 = fam == Family::V4 || m.ipv4_src || m.ipv4_dst || (m.eth_type && *m.eth_type == 0x0800);
  const bool v6 = fam == Family::V6 || m.ipv6_src || m.ipv6_dst || (m.eth_type && *m.eth_type == 0x86dd);
  const bool tcp = m.tcp_src || m.tcp_dst || (m.ip_proto && *m.ip_proto == 6);
  const bool udp = m.udp_src || m.udp_dst || (m.ip_proto && *m.ip_proto == 17);

  rte_flow_item eth{};
  eth.type = RTE_FLOW_ITEM_TYPE_ETH;
  if (m.eth_type && !v4 && !v6) {  // an EtherType the IP items do not already say
    s->eth_spec.hdr.ether_type = rte_cpu_to_be_16(*m.eth_type);
    s->eth_mask.hdr.ether_type = 0xffff;
    eth.spec = &s->eth_spec;
    eth.mask = &s->eth_mask;
  }
  s->pattern.push_back(eth);
  if (m.vlan) {
    rte_flow_item it{};
    it.type = RTE_FLOW_ITEM_TYPE_VLAN;
    s->vlan_spec.hdr.vlan_tci = rte_cpu_to_be_16(*m.vlan);
    s->vlan_mask.hdr.vlan_tci = rte_cpu_to_be_16(0x0fff);
    it.spec = &s->vlan_spec;
    it.mask = &s->vlan_mask;
    s->pattern.push_back(it);
  }
  const uint8_t proto = m.ip_proto ? *m.ip_proto : tcp ? 6 : udp ? 17 : 0;
  if (v4) {
    rte_flow_item it{};
    it.type = RTE_FLOW_ITEM_TYPE_IPV4;
    if (m.ipv4_src) {
      std::memcpy(&s->ipv4_spec.hdr.src_addr, m.ipv4_src->data(), 4);
      prefix_mask(reinterpret_cast<uint8_t*>(&s->ipv4_mask.hdr.src_addr), 4, m.ipv4_src_len);
      s->ipv4_spec.hdr.src_addr &= s->ipv4_mask.hdr.src_addr;
    }
    if (m.ipv4_dst) {
      std::memcpy(&s->ipv4_spec.hdr.dst_addr, m.ipv4_dst->data(), 4);
      prefix_mask(reinterpret_cast<uint8_t*>(&s->ipv4_mask.hdr.dst_addr), 4, m.ipv4_dst_len);
      s->ipv4_spec.hdr.dst_addr &= s->ipv4_mask.hdr.dst_addr;
    }
    if (proto) {
      s->ipv4_spec.hdr.next_proto_id = proto;
      s->ipv4_mask.hdr.next_proto_id = 0xff;
    }
    it.spec = &s->ipv4_spec;
    it.mask = &s->ipv4_mask;
    s->pattern.push_back(it);
  } else if (v6) {
    rte_flow_item it{};
    it.type = RTE_FLOW_ITEM_TYPE_IPV6;
    if (m.ipv6_src) {
      std::memcpy(s->ipv6_spec.hdr.src_addr, m.ipv6_src->data(), 16);
      prefix_mask(s->ipv6_mask.hdr.src_addr, 16, m.ipv6_src_len);
      for (int i = 0; i < 16; ++i) s->ipv6_spec.hdr.src_addr[i] &= s->ipv6_mask.hdr.src_addr[i];
    }
    if (m.ipv6_dst) {
      std::memcpy(s->ipv6_spec.hdr.dst_addr, m.ipv6_dst->data(), 16);
      prefix_mask(s->ipv6_mask.hdr.dst_addr, 16, m.ipv6_dst_len);
      for (int i = 0; i < 16; ++i) s->ipv6_spec.hdr.dst_addr[i] &= s->ipv6_mask.hdr.dst_addr[i];
    }
    if (proto) {
      s->ipv6_spec.hdr.proto = proto;
      s->ipv6_mask.hdr.proto = 0xff;
    }
    it.spec = &s->ipv6_spec;
    it.mask = &s->ipv6_mask;
    s->pattern.push_back(it);
  }
  // The headers are packed: values go through locals, not references.
  auto spec_of = [](const std::optional<PortMatch>& p) {
    return p ? rte_cpu_to_be_16(uint16_t(p->value & p->mask)) : 0;
  };
  auto mask_of = [](const std::optional<PortMatch>& p) { return p ? rte_cpu_to_be_16(p->mask) : 0; };
  // TCP and UDP items differ only in their header type: ports under mask.
  auto l4_item = [&](rte_flow_item_type type, auto& spec, auto& mask, const std::optional<PortMatch>& src,
                     const std::optional<PortMatch>& dst) {
    rte_flow_item it{};
    it.type = type;
    spec.hdr.src_port = spec_of(src);
    mask.hdr.src_port = mask_of(src);
    spec.hdr.dst_port = spec_of(dst);
    mask.hdr.dst_port = mask_of(dst);
    it.spec = &spec;
    it.mask = &mask;
    s->pattern.push_back(it);
  };
  if (tcp)
    l4_item(RTE_FLOW_ITEM_TYPE_TCP, s->tcp_spec, s->tcp_mask, m.tcp_src, m.tcp_dst);
  else if (udp)
    l4_item(RTE_FLOW_ITEM_TYPE_UDP, s->udp_spec, s->udp_mask, m.udp_src, m.udp_dst);
  rte_flow_item end{};
  end.type = RTE_FLOW_ITEM_TYPE_END;
  s->pattern.push_back(end);

  const FlowActionSpec& a = r.action;
  if (a.mark) {
    s->mark.id = *a.mark;
    rte_flow_action act{};
    act.type = RTE_FLOW_ACTION_TYPE_MARK;
    act.conf = &s->mark;
    s->actions.push_back(act);
  }
  rte_flow_action act{};
  if (a.drop) {
    act.type = RTE_FLOW_ACTION_TYPE_DROP;
  } else if (a.queue) {
    s->queue.index = *a.queue;
    act.type = RTE_FLOW_ACTION_TYPE_QUEUE;
    act.conf = &s->queue;
  } else {
    if (a.rss.empty())
      for (uint16_t q = 0; q < all_queues; ++q) s->rss_queues.push_back(q);
    else
      s->rss_queues = a.rss;
    s->rss_key = rss.key;
    s->rss.func = RTE_ETH_HASH_FUNCTION_TOEPLITZ;
    s->rss.types = rss_hf(rss.types);
    s->rss.key_len = uint32_t(s->rss_key.size());
    s->rss.key = s->rss_key.data();
    s->rss.queue_num = uint32_t(s->rss_queues.size());
    s->rss.queue = s->rss_queues.data();
    act.type = RTE_FLOW_ACTION_TYPE_RSS;
    act.conf = &s->rss;
  }
  s->actions.push_back(act);
  rte_flow_action done{};
  done.type = RTE_FLOW_ACTION_TYPE_END;
  s->actions.push_back(done);
  return s;
}

}  // namespace

std::vector<std::unique_ptr<FlowRuleSpec>> translate_rule(const FlowRule& r, const RssConfig& rss,
                                                          uint16_t all_queues) {
  const FlowMatch& m = r.match;
  const bool family_said = m.ipv4_src || m.ipv4_dst || m.ipv6_src || m.ipv6_dst ||
                           (m.eth_type && (*m.eth_type == 0x0800 || *m.eth_type == 0x86dd));
  const bool l4_or_proto = m.tcp_src || m.tcp_dst || m.udp_src || m.udp_dst || m.ip_proto;
  std::vector<std::unique_ptr<FlowRuleSpec>> out;
  if (l4_or_proto && !family_said && !m.eth_type) {
    out.push_back(translate_one(r, rss, all_queues, Family::V4));
    out.push_back(translate_one(r, rss, all_queues, Family::V6));
  } else {
    out.push_back(translate_one(r, rss, all_queues, Family::Unsaid));
  }
  return out;
}

uint64_t rss_hf_required(uint32_t t) {
  uint64_t hf = 0;
  if (t & kRssIpv4) hf |= RTE_ETH_RSS_IPV4;
  if (t & kRssIpv4Tcp) hf |= RTE_ETH_RSS_NONFRAG_IPV4_TCP;
  if (t & kRssIpv4Udp) hf |= RTE_ETH_RSS_NONFRAG_IPV4_UDP;
  if (t & kRssIpv6) hf |= RTE_ETH_RSS_IPV6;
  if (t & kRssIpv6Tcp) hf |= RTE_ETH_RSS_NONFRAG_IPV6_TCP;
  if (t & kRssIpv6Udp) hf |= RTE_ETH_RSS_NONFRAG_IPV6_UDP;
  return hf;
}

std::string flow_error_text(const char* call, const rte_flow_error& e, int rc) {
  static const std::map<int, const char*> kWhat = {
      {RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, "the priority"},
      {RTE_FLOW_ERROR_TYPE_ATTR, "the attributes"},
      {RTE_FLOW_ERROR_TYPE_ITEM_NUM, "the pattern length"},
      {RTE_FLOW_ERROR_TYPE_ITEM_SPEC, "an item's spec"},
      {RTE_FLOW_ERROR_TYPE_ITEM_MASK, "an item's mask"},
      {RTE_FLOW_ERROR_TYPE_ITEM, "a pattern item"},
      {RTE_FLOW_ERROR_TYPE_ACTION_NUM, "the action count"},
      {RTE_FLOW_ERROR_TYPE_ACTION_CONF, "an action's conf"},
      {RTE_FLOW_ERROR_TYPE_ACTION, "an action"},
  };
  std::string t = std::string(call) + " refused ";
  auto it = kWhat.find(int(e.type));
  t += it != kWhat.end() ? it->second : "the rule";
  t += ": ";
  t += e.message ? e.message : rte_strerror(rc < 0 ? -rc : rc);
  return t;
}

namespace {

class EthdevSteering final : public SteeringDevice {
 public:
  explicit EthdevSteering(uint16_t port) : port_(port) {}
  int caps(HwCaps* out) override {
    rte_eth_dev_info info;
    if (int rc = rte_eth_dev_info_get(port_, &info); rc != 0) return rc;
    out->driver = info.driver_name ? info.driver_name : "?";
    out->reta_size = info.reta_size;
    out->key_size = info.hash_key_size;
    out->rss_offloads = info.flow_type_rss_offloads;
    out->max_rx_queues = info.max_rx_queues;
    return 0;
  }
  int rss_hash_update(const std::vector<uint8_t>& key, uint64_t hf) override {
    std::vector<uint8_t> k = key;  // the API takes a non-const key
    rte_eth_rss_conf conf{};
    conf.rss_key = k.data();
    conf.rss_key_len = uint8_t(k.size());
    conf.rss_hf = hf;
    return rte_eth_dev_rss_hash_update(port_, &conf);
  }
  int reta_update(std::vector<rte_eth_rss_reta_entry64>& reta, uint16_t size) override {
    return rte_eth_dev_rss_reta_update(port_, reta.data(), size);
  }
  int flow_validate(const FlowRuleSpec& f, rte_flow_error* err) override {
    return rte_flow_validate(port_, &f.attr, f.pattern.data(), f.actions.data(), err);
  }
  rte_flow* flow_create(const FlowRuleSpec& f, rte_flow_error* err) override {
    return rte_flow_create(port_, &f.attr, f.pattern.data(), f.actions.data(), err);
  }
  int flow_destroy(rte_flow* flow, rte_flow_error* err) override { return rte_flow_destroy(port_, flow, err); }
  int rx_queue_count(uint16_t queue) override { return rte_eth_rx_queue_count(port_, queue); }

 private:
  uint16_t port_;
};

}  // namespace

std::unique_ptr<SteeringDevice> ethdev_steering(uint16_t port_id) {
  return std::make_unique<EthdevSteering>(port_id);
}

}  // namespace steer
