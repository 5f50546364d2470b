#include "steer/plan.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "steer/text.h"

namespace steer {
namespace {

constexpr uint32_t kMbufHeader = 128;       // sizeof(struct rte_mbuf)
constexpr uint32_t kMbufHeadroom = 128;     // RTE_PKTMBUF_HEADROOM
constexpr uint32_t kMempoolObjHeader = 64;  // per-object header and trailer, rounded
constexpr uint64_t kDescBytes = 64;         // generous per-descriptor estimate (HW ring + SW ring)
constexpr uint64_t kEalOverhead = 64ull << 20;

uint32_t elt_bytes(uint16_t data_room) {
  uint32_t b = kMbufHeader + kMbufHeadroom + data_room + kMempoolObjHeader;
  return (b + 63) & ~63u;
}

std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

}  // namespace

uint32_t round_pool_size(uint64_t n) {
  uint64_t p = 1;
  while (p - 1 < n) p <<= 1;
  return p - 1 > UINT32_MAX ? UINT32_MAX : uint32_t(p - 1);
}

Plan make_plan(const Deployment& d, const std::vector<int>& port_socket, std::vector<ConfigError>* errors) {
  Plan plan;
  plan.tx_senders = tx_senders(d);
  plan.queue_pipeline = queue_pipelines(d);
  int default_socket = d.mempools.empty() ? 0 : d.mempools[0].socket;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    int s = i < port_socket.size() ? port_socket[i] : -1;
    if (d.ports[i].socket) s = *d.ports[i].socket;
    plan.port_socket.push_back(s < 0 ? default_socket : s);
  }

  for (size_t k = 0; k < d.mempools.size(); ++k) {
    PoolPlan pp;
    pp.config_index = k;
    pp.socket = d.mempools[k].socket;
    pp.cache = d.mempools[k].cache;
    pp.elt_bytes = elt_bytes(d.mempools[k].data_room);
    plan.pools.push_back(pp);
  }
  plan.port_pool.assign(d.ports.size(), -1);
  for (size_t i = 0; i < d.ports.size(); ++i) {
    for (size_t k = 0; k < plan.pools.size(); ++k)
      if (plan.pools[k].socket == plan.port_socket[i]) plan.port_pool[i] = int(k);
    if (plan.port_pool[i] < 0) {
      if (errors)
        errors->push_back({"ports[" + std::to_string(i) + "]",
                           "port " + d.ports[i].name + " lives on socket " + std::to_string(plan.port_socket[i]) +
                               " and no mempool is on that socket; add {socket: " +
                               std::to_string(plan.port_socket[i]) + ", mbufs: auto} to mempools"});
      continue;
    }
    auto& pp = plan.pools[size_t(plan.port_pool[i])];
    pp.ports.push_back(uint16_t(i));
    const auto& pc = d.ports[i];
    pp.need.rx_desc += uint64_t(pc.rx_queues) * pc.rx_desc;
    pp.need.tx_desc += uint64_t(pc.tx_queues) * pc.tx_desc;
    // Software steering: a ring from each dispatcher to each logical queue, and
    // each dispatcher's hold budget for drains.
    uint64_t dispatchers = 0;
    for (const auto& lc : d.lcores)
      for (QueueId q : lc.dispatch) dispatchers += q.port == i;
    if (pc.steering && dispatchers) {
      uint64_t ring = 64;
      while (ring < pc.rx_desc || ring < 1024) ring <<= 1;  // as the dataplane sizes them
      pp.need.sw_rings += dispatchers * pc.rx_queues * ring;
      pp.need.hold += dispatchers * kHoldBudget;
      if (tx_handback(d, i)) pp.need.sw_rings += 8192;  // the TX hand-back ring
    }
    // Hardware steering (auto may choose it): each queue's worker parks moved
    // flows during a drain.
    if (pc.steering && pc.steering->mode != SteeringMode::Software) pp.need.hold += pc.rx_queues * kHwHoldBudget;
  }

  for (size_t k = 0; k < plan.pools.size(); ++k) {
    auto& pp = plan.pools[k];
    const auto& mc = d.mempools[k];
    // Mbufs of this pool sit in the cache of every lcore that receives from one
    // of its ports (and frees what it drops), plus the main lcore.
    std::set<unsigned> users;
    for (const auto& lc : d.lcores)
      for (QueueId q : lc.poll)
        if (q.port < plan.port_pool.size() && plan.port_pool[q.port] == int(k)) users.insert(lc.lcore);
    unsigned workers = unsigned(users.size());
    pp.lcores = pp.ports.empty() ? 0 : workers + 1;
    pp.need.lcore_cache = uint64_t(pp.lcores) * ((uint64_t(mc.cache) * 3 + 1) / 2);
    pp.need.lcore_burst = uint64_t(workers) * d.dataplane.burst;
    pp.required = pp.ports.empty() ? 0 : round_pool_size(pp.need.total());
    pp.auto_sized = !mc.mbufs.has_value();
    pp.mbufs = pp.auto_sized ? pp.required : *mc.mbufs;
    std::string path = "mempools[" + std::to_string(k) + "].mbufs";
    if (!pp.auto_sized && pp.mbufs < pp.need.total() && errors) {
      std::ostringstream m;
      m << pp.mbufs << " mbufs cannot hold what socket " << pp.socket << " needs at once: " << pp.need.rx_desc
        << " RX descriptors + " << pp.need.tx_desc << " TX descriptors + " << pp.need.lcore_cache << " in " << pp.lcores
        << " lcore caches + " << pp.need.lcore_burst << " in bursts + " << pp.need.sw_rings << " in software rings + "
        << pp.need.hold << " held = " << pp.need.total() << "; set mbufs to " << pp.required << " or auto";
      errors->push_back({path, m.str()});
    } else if (!pp.auto_sized && pp.mbufs > 0 && uint64_t(pp.cache) * 3 / 2 > pp.mbufs && errors) {
      errors->push_back({path, std::to_string(pp.mbufs) + " mbufs is less than 1.5 x cache (" +
                                   std::to_string(pp.cache) + "), which DPDK refuses; raise mbufs or lower cache"});
    }
    plan.memory_bytes += pp.bytes();
  }
  for (const auto& pc : d.ports)
    plan.memory_bytes += (uint64_t(pc.rx_queues) * pc.rx_desc + uint64_t(pc.tx_queues) * pc.tx_desc) * kDescBytes;
  plan.memory_bytes += kEalOverhead;
  return plan;
}

namespace {

// Each steered port's steering as it will start: the mode and what decides
// it, the dispatchers, the RSS key, types and RETA (size and share per
// queue), the rules, the drain policy and the audit.
void steering_plan(std::ostringstream& o, const Deployment& d) {
  bool any = false;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    if (!pc.steering) continue;
    if (!any) o << "\nsteering:\n";
    any = true;
    const SteeringConfig& s = *pc.steering;
    o << "  " << pc.name << "  mode " << to_string(s.mode) << ": ";
    switch (s.mode) {
      case SteeringMode::Auto:
        o << "hardware if the device takes the key, types, RETA and every rule when steerd starts (probed, "
             "nothing changed), else software";
        break;
      case SteeringMode::Hardware:
        o << "hardware; steerd refuses to start if the device cannot do all of it";
        break;
      case SteeringMode::Software:
        o << "software: the dispatcher lcores classify, the NIC only receives";
        break;
    }
    o << "\n    dispatchers (software):";
    bool dispatched = false;
    for (const auto& lc : d.lcores) {
      bool first = true;
      for (QueueId q : lc.dispatch)
        if (q.port == i) {
          o << (first ? (dispatched ? "; lcore " : " lcore ") + std::to_string(lc.lcore) + " takes " : ", ") << pc.name
            << ":rx" << q.queue;
          first = false;
          dispatched = true;
        }
    }
    if (dispatched)
      o << "; each feeds a ring per logical queue " << pc.name << ":0-" << (pc.rx_queues - 1) << "\n";
    else
      o << " none, so software steering cannot run here: auto needs the hardware\n";
    o << "    rss: types";
    for (const auto& t : rss_type_names(s.rss.types)) o << " " << t;
    o << "; key " << to_hex(s.rss.key).substr(0, 16) << "... (" << s.rss.key.size() << " bytes)\n";
    std::vector<size_t> share(pc.rx_queues, 0);
    for (uint16_t q : s.rss.reta)
      if (q < share.size()) ++share[q];
    o << "    reta: " << s.rss.reta.size() << " entries;";
    for (size_t q = 0; q < share.size(); ++q)
      o << " q" << q << " " << share[q] << " (" << (s.rss.reta.empty() ? 0 : share[q] * 100 / s.rss.reta.size())
        << "%)";
    o << "\n    rules: " << s.flows.size() << (s.flows.empty() ? "\n" : ", highest priority first\n");
    std::vector<const FlowRule*> rules;
    for (const auto& r : s.flows) rules.push_back(&r);
    std::stable_sort(rules.begin(), rules.end(), [](auto* a, auto* b) { return a->priority > b->priority; });
    for (const FlowRule* r : rules)
      o << "      " << r->name << " (priority " << r->priority << "):" << format_rule(*r) << "\n";
    o << "    drain: ";
    if (s.drain)
      o << "on: a moved flow's packets wait until its old queue is empty, at most " << s.drain_timeout_ms << " ms";
    else
      o << "off: moved flows may be reordered during a change";
    o << "\n    audit: ";
    if (pc.audit)
      o << "flow id at byte " << pc.audit->flow_offset << ", sequence at byte " << pc.audit->seq_offset
        << " (counts reordered at TX)\n";
    else
      o << "off\n";
  }
}

}  // namespace

std::string format_plan(const Deployment& d, const Plan& p) {
  std::ostringstream o;
  o << "EAL: lcores \"" << d.eal.lcores << "\", main lcore " << d.eal.main_lcore << ", "
    << (d.eal.hugepages ? "hugepages" : "no hugepages") << ", " << d.eal.memory_mb << " MiB, file prefix "
    << d.eal.file_prefix << "\n";
  o << "dataplane: burst " << d.dataplane.burst << ", poll " << to_string(d.dataplane.poll) << ", tx_retries "
    << d.dataplane.tx_retries << ", numa " << to_string(d.numa) << "\n\nports:\n";
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    o << "  " << pc.name << "  device \"" << pc.device << "\"  socket " << p.port_socket[i] << "  rx " << pc.rx_queues
      << "x" << pc.rx_desc << "  tx " << pc.tx_queues << "x" << pc.tx_desc << (pc.promiscuous ? "  promiscuous" : "")
      << "\n";
  }
  o << "\nqueues:\n";
  for (size_t i = 0; i < d.ports.size(); ++i)
    for (uint16_t q = 0; q < d.ports[i].rx_queues; ++q) {
      QueueId id{uint16_t(i), q};
      o << "  " << format_queue(d, id) << "  polled by lcore ";
      for (const auto& lc : d.lcores)
        for (QueueId x : lc.poll)
          if (x == id) o << lc.lcore;
      int pi = p.queue_pipeline[i][q];
      if (pi >= 0) {
        const auto& pl = d.pipelines[size_t(pi)];
        o << "  -> " << to_string(pl.action);
        if (pl.action == Action::Forward && pl.to) {
          o << " to " << d.ports[*pl.to].name;
          if (pl.dst_mac) o << " dst " << format_mac(*pl.dst_mac);
        }
      }
      o << "\n";
    }
  steering_plan(o, d);
  o << "\nlcores:\n";
  for (const auto& lc : d.lcores) {
    o << "  " << lc.lcore;
    if (!lc.dispatch.empty()) {
      o << "  dispatches";
      for (QueueId q : lc.dispatch) o << " " << d.ports[q.port].name << ":rx" << q.queue;
      o << " (under software steering)";
    }
    if (!lc.poll.empty() || lc.dispatch.empty()) {
      o << "  polls";
      for (QueueId q : lc.poll) o << " " << format_queue(d, q);
    }
    o << "  transmits on";
    for (size_t i = 0; i < p.tx_senders.size(); ++i)
      for (size_t k = 0; k < p.tx_senders[i].size(); ++k)
        if (p.tx_senders[i][k] == lc.lcore) o << " " << d.ports[i].name << ":tx" << k;
    o << "\n";
  }
  o << "\nmempools:\n";
  for (const auto& pp : p.pools) {
    o << "  socket " << pp.socket << "  " << pp.mbufs << " mbufs (" << (pp.auto_sized ? "auto" : "explicit")
      << ", required " << pp.required << ")  cache " << pp.cache << "  ~" << mib(pp.bytes()) << "\n";
    o << "    need: " << pp.need.rx_desc << " rx desc + " << pp.need.tx_desc << " tx desc + " << pp.need.lcore_cache
      << " lcore caches (" << pp.lcores << " lcores) + " << pp.need.lcore_burst << " bursts + " << pp.need.sw_rings
      << " sw rings + " << pp.need.hold << " hold = " << pp.need.total() << "\n";
  }
  o << "\nmemory: ~" << mib(p.memory_bytes) << " (pools, descriptor rings, EAL)\n";
  return o.str();
}

std::string check_hugepage_memory(const Plan& p, uint64_t free_bytes) {
  if (free_bytes >= p.memory_bytes) return {};
  return "the deployment needs ~" + mib(p.memory_bytes) + " of hugepage memory but only " + mib(free_bytes) +
         " is free: " + mib(p.memory_bytes - free_bytes) +
         " short; reserve more (scripts/hugepages.sh, or echo N > "
         "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages), "
         "lower descriptors or mbufs, or set eal.hugepages: false";
}

}  // namespace steer
