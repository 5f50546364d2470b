// A model NIC for the hardware steering path, which no vdev here can run.
//
// Its RX and TX queues are the rings of a net_ring port; deliver() plays the
// wire and the NIC's classifier: each frame is matched against the rte_flow
// rules created through the SteeringDevice calls (interpreted here from their
// items and actions: spec and mask compared with the frame's header bytes),
// else hashed with Toeplitz over the enabled types and looked up in the RETA
// the device was given, in the device's own RETA size. hash.rss and the mark
// are set as a NIC sets them. A device call and a frame's classification
// never interleave, as on a NIC after the call returns.
//
// Knobs let a test refuse items, fail a call, or hide the queue backlog
// (rx_queue_count -ENOTSUP), to exercise refusals, rollback and the
// empty-poll fence.
#pragma once

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "steer/hw_steering.h"
#include "steer/steering.h"
#include "steer/tsan.h"

namespace steer::testing {

class ModelNic {
 public:
  ModelNic(const std::string& name, unsigned rx_queues, unsigned tx_queues, uint16_t reta_size = 512)
      : reta_(reta_size, 0), key_(default_rss_key()), toeplitz_(key_) {
    for (unsigned q = 0; q < rx_queues; ++q)
      rx_.push_back(
          rte_ring_create((name + "_rx" + std::to_string(q)).c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
    for (unsigned q = 0; q < tx_queues; ++q)
      tx_.push_back(rte_ring_create((name + "_tx" + std::to_string(q)).c_str(), 8192, 0, RING_F_SP_ENQ));
    const int id = rte_eth_from_rings(name.c_str(), rx_.data(), rx_queues, tx_.data(), tx_queues, 0);
    if (id >= 0) {
      char devname[RTE_ETH_NAME_MAX_LEN];
      rte_eth_dev_get_name_by_port(uint16_t(id), devname);
      devname_ = devname;
    }
  }

  const std::string& devname() const { return devname_; }
  const std::vector<rte_ring*>& tx() const { return tx_; }

  // The dataplane owns what it is given; the model outlives it.
  std::unique_ptr<SteeringDevice> device() { return std::make_unique<Device>(this); }

  // The wire: classify and place each frame on its RX queue (or drop it).
  void deliver(rte_mbuf** pkts, unsigned n) {
    std::lock_guard<std::mutex> lock(mu_);
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      tsan::acquire(m);
      const Verdict v = classify(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
      m->hash.rss = v.hash;
      m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
      if (v.mark) {
        m->hash.fdir.hi = *v.mark;
        m->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
      }
      tsan::release(m);  // to the RX queue's lcore, or freed
      if (v.queue < 0 || rte_ring_sp_enqueue(rx_[size_t(v.queue)], m) != 0) {
        rte_pktmbuf_free(m);
        ++dropped_;
      }
    }
  }

  // Where the device would put a frame now: its RX queue, or -1 (dropped).
  int queue_of(const uint8_t* frame, size_t len) const {
    std::lock_guard<std::mutex> lock(mu_);
    return classify(frame, len).queue;
  }

  // What the device holds now.
  std::vector<uint16_t> reta() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reta_;
  }
  std::vector<uint8_t> key() const {
    std::lock_guard<std::mutex> lock(mu_);
    return key_;
  }
  size_t flow_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return flows_.size();
  }
  uint64_t dropped() const { return dropped_; }
  unsigned device_calls() const { return calls_; }
  unsigned validations() const { return validations_; }  // flow_validate calls

  // Knobs.
  std::atomic<bool> count_backlog{true};        // false: rx_queue_count says -ENOTSUP
  std::atomic<bool> refuse_vlan{false};         // validate refuses VLAN items
  std::atomic<bool> fail_reta{false};           // reta_update fails with -EIO
  std::atomic<int> creates_before_failure{-1};  // >= 0: that many flow_create calls succeed, then one fails

 private:
  struct Item {
    rte_flow_item_type type;
    std::vector<uint8_t> spec, mask;  // header bytes as on the wire; empty: any
  };
  struct Flow {
    uint32_t priority = 0;
    uint64_t order = 0;
    std::vector<Item> items;
    bool drop = false;
    int queue = -1;
    std::vector<uint16_t> rss;
    std::optional<uint32_t> mark;
  };

  struct Verdict {
    int queue = -1;
    uint32_t hash = 0;
    std::optional<uint32_t> mark;
  };

  // Rules in priority order, first match wins; else Toeplitz and the RETA.
  Verdict classify(const uint8_t* d, size_t len) const {
    Verdict v;
    const PacketFields f = parse_fields(d, len);
    uint8_t tuple[ToeplitzTable::kMaxInput];
    const size_t n = rss_tuple(f, types_, tuple);
    v.hash = n ? toeplitz_.hash(tuple, n) : 0;
    v.queue = reta_[v.hash & (reta_.size() - 1)];
    for (const auto& [at, fl] : flows_) {
      if (!matches(fl, d, len)) continue;
      v.mark = fl.mark;
      if (fl.drop)
        v.queue = -1;
      else if (fl.queue >= 0)
        v.queue = fl.queue;
      else if (!fl.rss.empty())
        v.queue = fl.rss[v.hash % fl.rss.size()];
      break;
    }
    return v;
  }

  static size_t header_size(rte_flow_item_type t) {
    switch (t) {
      case RTE_FLOW_ITEM_TYPE_ETH:
        return sizeof(rte_ether_hdr);
      case RTE_FLOW_ITEM_TYPE_VLAN:
        return sizeof(rte_vlan_hdr);
      case RTE_FLOW_ITEM_TYPE_IPV4:
        return sizeof(rte_ipv4_hdr);
      case RTE_FLOW_ITEM_TYPE_IPV6:
        return sizeof(rte_ipv6_hdr);
      case RTE_FLOW_ITEM_TYPE_TCP:
        return sizeof(rte_tcp_hdr);
      case RTE_FLOW_ITEM_TYPE_UDP:
        return sizeof(rte_udp_hdr);
      default:
        return 0;
    }
  }

  // Walks the frame's headers in the order the pattern names them.
  static bool matches(const Flow& fl, const uint8_t* d, size_t len) {
    size_t off = 0;
    uint16_t type = 0;
    uint8_t proto = 0;
    for (const Item& it : fl.items) {
      const size_t hs = header_size(it.type);
      switch (it.type) {
        case RTE_FLOW_ITEM_TYPE_ETH:
          if (len < 14) return false;
          type = uint16_t(d[12] << 8 | d[13]);
          break;
        case RTE_FLOW_ITEM_TYPE_VLAN:
          if (type != 0x8100 || len < off + 4) return false;
          type = uint16_t(d[off + 2] << 8 | d[off + 3]);
          break;
        case RTE_FLOW_ITEM_TYPE_IPV4:
          if (type != 0x0800 || len < off + 20) return false;
          proto = d[off + 9];
          break;
        case RTE_FLOW_ITEM_TYPE_IPV6:
          if (type != 0x86dd || len < off + 40) return false;
          proto = d[off + 6];
          break;
        case RTE_FLOW_ITEM_TYPE_TCP:
          if (proto != 6 || len < off + 20) return false;
          break;
        case RTE_FLOW_ITEM_TYPE_UDP:
          if (proto != 17 || len < off + 8) return false;
          break;
        default:
          return false;
      }
      for (size_t k = 0; k < it.mask.size(); ++k)
        if ((d[off + k] & it.mask[k]) != (it.spec[k] & it.mask[k])) return false;
      // The next header: ETH is 14 bytes, VLAN 4 (its type was read above),
      // IPv4 by its IHL.
      off += it.type == RTE_FLOW_ITEM_TYPE_IPV4  ? size_t(d[off] & 0x0f) * 4
             : it.type == RTE_FLOW_ITEM_TYPE_ETH ? 14
                                                 : hs;
    }
    return true;
  }

  // Returns 0 or a negative errno with `err` filled, as a PMD does.
  int check(const FlowRuleSpec& f, rte_flow_error* err, Flow* out) const {
    auto refuse = [&](rte_flow_error_type t, const char* msg) {
      err->type = t;
      err->message = msg;
      return -ENOTSUP;
    };
    if (!f.attr.ingress || f.attr.egress || f.attr.transfer)
      return refuse(RTE_FLOW_ERROR_TYPE_ATTR, "only ingress rules");
    Flow fl;
    fl.priority = f.attr.priority;
    bool l3 = false;
    for (const rte_flow_item& it : f.pattern) {
      if (it.type == RTE_FLOW_ITEM_TYPE_END) break;
      const size_t hs = header_size(it.type);
      if (!hs) return refuse(RTE_FLOW_ERROR_TYPE_ITEM, "item type not supported by the model NIC");
      if (it.type == RTE_FLOW_ITEM_TYPE_VLAN && refuse_vlan)
        return refuse(RTE_FLOW_ERROR_TYPE_ITEM, "VLAN matching is not supported by the model NIC");
      if (it.type == RTE_FLOW_ITEM_TYPE_IPV4 || it.type == RTE_FLOW_ITEM_TYPE_IPV6) l3 = true;
      if ((it.type == RTE_FLOW_ITEM_TYPE_TCP || it.type == RTE_FLOW_ITEM_TYPE_UDP) && !l3)
        return refuse(RTE_FLOW_ERROR_TYPE_ITEM, "an L4 item needs an IPv4 or IPv6 item before it");
      if (bool(it.spec) != bool(it.mask)) return refuse(RTE_FLOW_ERROR_TYPE_ITEM_MASK, "give spec and mask together");
      Item x{it.type, {}, {}};
      if (it.spec) {
        // Every rte_flow_item_<proto> here starts with the header as on the wire.
        const auto* s = static_cast<const uint8_t*>(it.spec);
        const auto* k = static_cast<const uint8_t*>(it.mask);
        x.spec.assign(s, s + hs);
        x.mask.assign(k, k + hs);
        if (it.type == RTE_FLOW_ITEM_TYPE_IPV4) x.mask[0] = 0;  // version/IHL is not matched
      }
      fl.items.push_back(std::move(x));
    }
    for (const rte_flow_action& a : f.actions) {
      if (a.type == RTE_FLOW_ACTION_TYPE_END) break;
      switch (a.type) {
        case RTE_FLOW_ACTION_TYPE_MARK:
          fl.mark = static_cast<const rte_flow_action_mark*>(a.conf)->id;
          break;
        case RTE_FLOW_ACTION_TYPE_DROP:
          fl.drop = true;
          break;
        case RTE_FLOW_ACTION_TYPE_QUEUE: {
          const auto* q = static_cast<const rte_flow_action_queue*>(a.conf);
          if (q->index >= rx_.size()) return refuse(RTE_FLOW_ERROR_TYPE_ACTION_CONF, "queue index out of range");
          fl.queue = q->index;
          break;
        }
        case RTE_FLOW_ACTION_TYPE_RSS: {
          const auto* r = static_cast<const rte_flow_action_rss*>(a.conf);
          for (uint32_t k = 0; k < r->queue_num; ++k) {
            if (r->queue[k] >= rx_.size()) return refuse(RTE_FLOW_ERROR_TYPE_ACTION_CONF, "RSS queue out of range");
            fl.rss.push_back(r->queue[k]);
          }
          break;
        }
        default:
          return refuse(RTE_FLOW_ERROR_TYPE_ACTION, "action not supported by the model NIC");
      }
    }
    if (out) *out = std::move(fl);
    return 0;
  }

  class Device final : public SteeringDevice {
   public:
    explicit Device(ModelNic* n) : n_(n) {}
    int caps(HwCaps* out) override {
      out->driver = "model_nic";
      out->reta_size = uint16_t(n_->reta_.size());
      out->key_size = 40;
      out->rss_offloads = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
      out->max_rx_queues = uint16_t(n_->rx_.size());
      return 0;
    }
    int rss_hash_update(const std::vector<uint8_t>& key, uint64_t hf) override {
      std::lock_guard<std::mutex> lock(n_->mu_);
      ++n_->calls_;
      if (key.size() != 40) return -EINVAL;
      n_->key_ = key;
      n_->toeplitz_ = ToeplitzTable(key);
      uint32_t t = 0;
      for (uint32_t type : {kRssIpv4, kRssIpv4Tcp, kRssIpv4Udp, kRssIpv6, kRssIpv6Tcp, kRssIpv6Udp})
        if (hf & rss_hf_required(type)) t |= type;
      n_->types_ = t;
      return 0;
    }
    int reta_update(std::vector<rte_eth_rss_reta_entry64>& reta, uint16_t size) override {
      std::lock_guard<std::mutex> lock(n_->mu_);
      ++n_->calls_;
      if (n_->fail_reta || size != n_->reta_.size()) return -EIO;
      for (uint16_t i = 0; i < size; ++i) {
        const auto& g = reta[i / RTE_ETH_RETA_GROUP_SIZE];
        if (g.mask >> (i % RTE_ETH_RETA_GROUP_SIZE) & 1) {
          if (g.reta[i % RTE_ETH_RETA_GROUP_SIZE] >= n_->rx_.size()) return -EINVAL;
          n_->reta_[i] = g.reta[i % RTE_ETH_RETA_GROUP_SIZE];
        }
      }
      return 0;
    }
    int flow_validate(const FlowRuleSpec& f, rte_flow_error* err) override {
      std::lock_guard<std::mutex> lock(n_->mu_);
      ++n_->validations_;
      return n_->check(f, err, nullptr);
    }
    rte_flow* flow_create(const FlowRuleSpec& f, rte_flow_error* err) override {
      std::lock_guard<std::mutex> lock(n_->mu_);
      ++n_->calls_;
      Flow fl;
      if (int rc = n_->check(f, err, &fl); rc != 0) {
        rte_errno = -rc;
        return nullptr;
      }
      if (n_->creates_before_failure == 0) {
        err->type = RTE_FLOW_ERROR_TYPE_HANDLE;
        err->message = "out of flow table entries";
        rte_errno = ENOSPC;
        return nullptr;
      }
      if (n_->creates_before_failure > 0) --n_->creates_before_failure;
      fl.order = n_->next_order_++;
      const FlowAt at{fl.priority, fl.order};
      auto it = n_->flows_.emplace(at, std::move(fl)).first;
      rte_flow* handle = reinterpret_cast<rte_flow*>(&it->second);
      n_->handles_.emplace(handle, at);
      return handle;
    }
    int flow_destroy(rte_flow* flow, rte_flow_error* err) override {
      std::lock_guard<std::mutex> lock(n_->mu_);
      ++n_->calls_;
      auto h = n_->handles_.find(flow);
      if (h == n_->handles_.end()) {
        err->type = RTE_FLOW_ERROR_TYPE_HANDLE;
        err->message = "no such flow";
        return -ENOENT;
      }
      n_->flows_.erase(h->second);
      n_->handles_.erase(h);
      return 0;
    }
    int rx_queue_count(uint16_t queue) override {
      if (!n_->count_backlog || queue >= n_->rx_.size()) return -ENOTSUP;
      return int(rte_ring_count(n_->rx_[queue]));
    }

   private:
    ModelNic* n_;
  };

  std::string devname_;
  std::vector<rte_ring*> rx_, tx_;
  mutable std::mutex mu_;
  std::vector<uint16_t> reta_;
  std::vector<uint8_t> key_;
  ToeplitzTable toeplitz_;
  uint32_t types_ = kRssAll;
  // Lower priority value first; among equals, the older rule. A handle is a
  // Flow's address (map nodes do not move).
  using FlowAt = std::pair<uint32_t, uint64_t>;  // priority, creation order
  std::map<FlowAt, Flow> flows_;
  std::unordered_map<const rte_flow*, FlowAt> handles_;
  uint64_t next_order_ = 0;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<unsigned> calls_{0};
  std::atomic<unsigned> validations_{0};
};

}  // namespace steer::testing
