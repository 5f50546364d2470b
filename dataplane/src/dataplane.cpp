#include "steer/dataplane.h"

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include <atomic>
#include <cstring>
#include <ctime>

#include "steer/packet.h"

namespace steer {

void QueueStats::read(const QueueCounters& c) {
  rx = c.rx.get();
  tx = c.tx.get();
  tx_dropped = c.tx_dropped.get();
  dropped = c.dropped.get();
  empty_polls = c.empty_polls.get();
  busy_cycles = c.busy_cycles.get();
  for (unsigned i = 0; i < kBurstBuckets; ++i) burst_hist[i] = c.burst_hist[i].get();
}

QueueStats& QueueStats::operator+=(const QueueStats& o) {
  rx += o.rx;
  tx += o.tx;
  tx_dropped += o.tx_dropped;
  dropped += o.dropped;
  empty_polls += o.empty_polls;
  busy_cycles += o.busy_cycles;
  for (unsigned i = 0; i < kBurstBuckets; ++i) burst_hist[i] += o.burst_hist[i];
  return *this;
}

namespace {

// One polled RX queue and what to do with its packets. Immutable once published.
struct RxStep {
  uint16_t port_id;
  uint16_t queue;
  Action action;
  uint16_t out_port_id;  // echo: the RX port; forward: `to`
  uint16_t out_txq;      // this lcore's own TX queue on out_port_id
  bool set_dst;
  uint8_t src_mac[6];
  uint8_t dst_mac[6];
  QueueCounters* counters;
};

// A worker's whole configuration: the immutable snapshot it reads each loop.
struct WorkerPlan {
  uint16_t burst;
  uint16_t tx_retries;
  PollMode poll;
  std::vector<RxStep> steps;
};

struct Worker {
  unsigned lcore = 0;
  std::atomic<const WorkerPlan*> plan{nullptr};  // controlplane: rw (publish), dataplane: ro
  std::atomic<bool> stop{false};                 // controlplane: rw, dataplane: ro
  LcoreCounters counters;                        // dataplane: rw (this lcore), controlplane: ro
  std::unique_ptr<QueueCounters[]> queues;       // one per step, same order
  std::unique_ptr<WorkerPlan> owned_plan;        // keeps the published plan alive
  std::vector<QueueId> polled;                   // for stats labels
};

constexpr unsigned kPrefetchAhead = 4;
constexpr unsigned kSpinBeforePause = 64;
constexpr unsigned kPauseBeforeSleep = 1024;

// Bounded retries on partial TX; what still does not fit is freed and counted,
// so every mbuf leaves the lcore with exactly one owner.
inline void send(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts, uint16_t n) {
  uint16_t sent = rte_eth_tx_burst(s.out_port_id, s.out_txq, pkts, n);
  for (unsigned r = 0; sent < n && r < plan.tx_retries; ++r) {
    rte_pause();
    sent += rte_eth_tx_burst(s.out_port_id, s.out_txq, pkts + sent, uint16_t(n - sent));
  }
  if (sent < n) {
    rte_pktmbuf_free_bulk(pkts + sent, unsigned(n - sent));
    s.counters->tx_dropped.add(n - sent);
  }
  s.counters->tx.add(sent);
}

// One RX burst through its pipeline. Cycle accounting is the caller's: one
// TSC read per non-empty burst is all the loop can afford.
inline unsigned run_step(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts) {
  QueueCounters& c = *s.counters;
  const uint16_t n = rte_eth_rx_burst(s.port_id, s.queue, pkts, plan.burst);
  c.burst_hist[burst_bucket(n)].add(1);
  if (n == 0) {
    c.empty_polls.add(1);
    return 0;
  }
  c.rx.add(n);
  switch (s.action) {
    case Action::Drop:
      rte_pktmbuf_free_bulk(pkts, n);
      c.dropped.add(n);
      break;
    case Action::Echo:
      for (unsigned i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        rte_mbuf* m = pkts[i];
        if (likely(rte_pktmbuf_data_len(m) >= packet::kEtherHdrLen)) packet::swap_macs(rte_pktmbuf_mtod(m, uint8_t*));
      }
      send(s, plan, pkts, n);
      break;
    case Action::Forward:
      for (unsigned i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        rte_mbuf* m = pkts[i];
        if (likely(rte_pktmbuf_data_len(m) >= packet::kEtherHdrLen))
          packet::set_macs(rte_pktmbuf_mtod(m, uint8_t*), s.src_mac, s.set_dst ? s.dst_mac : nullptr);
      }
      send(s, plan, pkts, n);
      break;
  }
  return n;
}

// Adaptive poll: spin, then pause, then sleep with a growing interval, so idle
// workers give the CPU back on an oversubscribed machine.
inline void back_off(unsigned streak, LcoreCounters& lc) {
  if (streak < kSpinBeforePause) return;
  if (streak < kPauseBeforeSleep) {
    rte_pause();
    return;
  }
  unsigned step = (streak - kPauseBeforeSleep) / 256;
  long us = step >= 6 ? 100 : (1L << step) + 4;
  timespec ts{0, us * 1000};
  nanosleep(&ts, nullptr);
  lc.sleeps.add(1);
}

int worker_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  rte_mbuf* pkts[kMaxBurst];
  unsigned idle_streak = 0;
  uint64_t prev = rte_rdtsc();  // end of the previous iteration
  while (!w.stop.load(std::memory_order_acquire)) {
    const WorkerPlan& plan = *w.plan.load(std::memory_order_acquire);
    uint64_t mark = prev;
    unsigned moved = 0;
    for (const RxStep& s : plan.steps) {
      const unsigned n = run_step(s, plan, pkts);
      if (n) {  // a queue's busy cycles run from the previous TSC read to the end of its burst
        const uint64_t now = rte_rdtsc();
        s.counters->busy_cycles.add(now - mark);
        mark = now;
        moved += n;
      }
    }
    w.counters.loops.add(1);
    if (moved) {
      w.counters.busy_cycles.add(mark - prev);
      prev = mark;
      idle_streak = 0;
    } else {
      const uint64_t now = rte_rdtsc();
      w.counters.idle_cycles.add(now - prev);
      w.counters.idle_loops.add(1);
      prev = now;
      if (plan.poll == PollMode::Adaptive) back_off(++idle_streak, w.counters);
    }
  }
  return 0;
}

std::string errno_text(int rc) {
  return rte_strerror(rc < 0 ? -rc : rc);
}

}  // namespace

struct Dataplane::Impl {
  Deployment d;
  Plan plan;
  std::vector<PortInfo> ports;
  std::vector<bool> probed_by_us;
  std::vector<bool> port_started;
  std::vector<rte_mempool*> pools;  // index as plan.pools
  std::vector<std::unique_ptr<Worker>> workers;
  bool running = false;
  bool stopped = true;
  static inline std::atomic<unsigned> instances{0};
  unsigned instance = 0;

  std::vector<ConfigError> probe_ports();
  std::vector<ConfigError> setup_ports();
  void build_workers();
  void release();
};

std::vector<ConfigError> Dataplane::Impl::probe_ports() {
  std::vector<ConfigError> errs;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    std::string path = "ports[" + std::to_string(i) + "].device";
    std::string devname = pc.device.substr(0, pc.device.find(','));
    uint16_t pid;
    bool ours = false;
    if (rte_eth_dev_get_port_by_name(devname.c_str(), &pid) != 0) {
      int rc = rte_dev_probe(pc.device.c_str());
      if (rc < 0 || rte_eth_dev_get_port_by_name(devname.c_str(), &pid) != 0) {
        errs.push_back(
            {path, "port " + pc.name + ": device \"" + pc.device + "\" could not be probed (" +
                       (rc < 0 ? errno_text(rc) : std::string("no ethdev appeared")) +
                       "); check the driver name and its arguments, or that the PCI device is bound to vfio-pci"});
        probed_by_us.push_back(false);
        ports.push_back({});
        continue;
      }
      ours = true;
    }
    probed_by_us.push_back(ours);
    PortInfo pi;
    pi.name = pc.name;
    pi.port_id = pid;
    pi.socket = rte_eth_dev_socket_id(pid);
    rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(pid, &info);
    if (rc != 0) {
      errs.push_back({path, "port " + pc.name + ": cannot read device info (" + errno_text(rc) + ")"});
      ports.push_back(pi);
      continue;
    }
    pi.caps.driver = info.driver_name ? info.driver_name : "?";
    pi.caps.max_rx_queues = info.max_rx_queues;
    pi.caps.max_tx_queues = info.max_tx_queues;
    pi.caps.rx_desc_max = info.rx_desc_lim.nb_max == UINT16_MAX ? 0 : info.rx_desc_lim.nb_max;
    pi.caps.tx_desc_max = info.tx_desc_lim.nb_max == UINT16_MAX ? 0 : info.tx_desc_lim.nb_max;
    rte_ether_addr mac;
    if (rte_eth_macaddr_get(pid, &mac) == 0) std::memcpy(pi.mac.data(), mac.addr_bytes, 6);
    ports.push_back(pi);
    auto caps_errs = check_device(d, i, pi.caps);
    errs.insert(errs.end(), caps_errs.begin(), caps_errs.end());
  }
  return errs;
}

std::vector<ConfigError> Dataplane::Impl::setup_ports() {
  std::vector<ConfigError> errs;
  port_started.assign(d.ports.size(), false);
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    const uint16_t pid = ports[i].port_id;
    const std::string path = "ports[" + std::to_string(i) + "]";
    auto fail = [&](const std::string& what, int rc) {
      errs.push_back({path, "port " + pc.name + ": " + what + " failed (" + errno_text(rc) + ")"});
    };
    rte_eth_dev_info info;
    if (int rc = rte_eth_dev_info_get(pid, &info); rc != 0) {
      fail("reading device info", rc);
      return errs;
    }
    rte_eth_conf conf{};
    // Several RX queues on a NIC that hashes: spread by its RSS over IP/L4.
    // Live RSS/RETA control is the steering layer's job; this is the default.
    const uint64_t want_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
    if (pc.rx_queues > 1 && (info.flow_type_rss_offloads & want_hf)) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & want_hf;
    }
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
      conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    if (int rc = rte_eth_dev_configure(pid, pc.rx_queues, pc.tx_queues, &conf); rc != 0) {
      fail("rte_eth_dev_configure(" + std::to_string(pc.rx_queues) + " rx, " + std::to_string(pc.tx_queues) + " tx)",
           rc);
      return errs;
    }
    uint16_t nrx = pc.rx_desc, ntx = pc.tx_desc;
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx); rc != 0) {
      fail("adjusting descriptor counts", rc);
      return errs;
    }
    const unsigned socket = unsigned(plan.port_socket[i]);
    rte_mempool* pool = pools[size_t(plan.port_pool[i])];
    for (uint16_t q = 0; q < pc.rx_queues; ++q)
      if (int rc = rte_eth_rx_queue_setup(pid, q, nrx, socket, nullptr, pool); rc != 0) {
        fail("setting up RX queue " + std::to_string(q), rc);
        return errs;
      }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    for (uint16_t q = 0; q < pc.tx_queues; ++q)
      if (int rc = rte_eth_tx_queue_setup(pid, q, ntx, socket, &txconf); rc != 0) {
        fail("setting up TX queue " + std::to_string(q), rc);
        return errs;
      }
    if (pc.promiscuous) {
      int rc = rte_eth_promiscuous_enable(pid);
      if (rc != 0 && rc != -ENOTSUP) {
        fail("enabling promiscuous mode", rc);
        return errs;
      }
    }
    if (int rc = rte_eth_dev_start(pid); rc != 0) {
      fail("rte_eth_dev_start", rc);
      return errs;
    }
    port_started[i] = true;
  }
  return errs;
}

void Dataplane::Impl::build_workers() {
  for (const auto& lc : d.lcores) {
    auto w = std::make_unique<Worker>();
    w->lcore = lc.lcore;
    w->queues = std::make_unique<QueueCounters[]>(lc.poll.size());
    w->polled = lc.poll;
    auto wp = std::make_unique<WorkerPlan>();
    wp->burst = d.dataplane.burst;
    wp->tx_retries = d.dataplane.tx_retries;
    wp->poll = d.dataplane.poll;
    for (size_t j = 0; j < lc.poll.size(); ++j) {
      QueueId q = lc.poll[j];
      const auto& pl = d.pipelines[size_t(plan.queue_pipeline[q.port][q.queue])];
      RxStep s{};
      s.port_id = ports[q.port].port_id;
      s.queue = q.queue;
      s.action = pl.action;
      uint16_t out = pl.action == Action::Forward ? *pl.to : q.port;
      s.out_port_id = ports[out].port_id;
      const auto& senders = plan.tx_senders[out];
      for (size_t k = 0; k < senders.size(); ++k)
        if (senders[k] == lc.lcore) s.out_txq = uint16_t(k);
      std::memcpy(s.src_mac, ports[out].mac.data(), 6);
      s.set_dst = pl.dst_mac.has_value();
      if (pl.dst_mac) std::memcpy(s.dst_mac, pl.dst_mac->data(), 6);
      s.counters = &w->queues[j];
      wp->steps.push_back(s);
    }
    w->plan.store(wp.get(), std::memory_order_release);
    w->owned_plan = std::move(wp);
    workers.push_back(std::move(w));
  }
}

void Dataplane::Impl::release() {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (i < port_started.size() && port_started[i]) {
      (void)rte_eth_dev_stop(ports[i].port_id);
      port_started[i] = false;
    }
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    if (!rte_eth_dev_is_valid_port(ports[i].port_id) || ports[i].name.empty()) continue;
    rte_eth_dev_info info;
    rte_device* dev = rte_eth_dev_info_get(ports[i].port_id, &info) == 0 ? info.device : nullptr;
    (void)rte_eth_dev_close(ports[i].port_id);
    if (probed_by_us[i] && dev) (void)rte_dev_remove(dev);
  }
  ports.clear();
  probed_by_us.clear();
  for (rte_mempool* mp : pools) rte_mempool_free(mp);
  pools.clear();
  workers.clear();
}

Dataplane::Dataplane() : impl_(std::make_unique<Impl>()) {}

Dataplane::~Dataplane() {
  stop();
  close();
}

std::vector<ConfigError> Dataplane::start(const Deployment& d, std::vector<std::string>* warnings) {
  Impl& m = *impl_;
  if (m.running) return {{"", "the dataplane is already running"}};
  m.d = d;
  m.instance = Impl::instances.fetch_add(1);

  for (const auto& lc : d.lcores)
    if (!rte_lcore_is_enabled(lc.lcore) || lc.lcore == rte_get_main_lcore())
      return {{"lcores", "lcore " + std::to_string(lc.lcore) + " is not a worker lcore of this EAL; check eal.lcores"}};

  auto errs = m.probe_ports();
  if (errs.empty()) {
    SocketMap sm;
    for (const auto& p : m.ports) sm.socket_of_port.push_back(p.socket);
    sm.socket_of_lcore = [](unsigned l) { return int(rte_lcore_to_socket_id(l)); };
    errs = check_numa(d, sm, warnings);
  }
  if (errs.empty()) {
    std::vector<int> sockets;
    for (const auto& p : m.ports) sockets.push_back(p.socket);
    m.plan = make_plan(d, sockets, &errs);
  }
  if (errs.empty()) {
    for (size_t k = 0; k < m.plan.pools.size(); ++k) {
      const auto& pp = m.plan.pools[k];
      if (pp.ports.empty()) {
        m.pools.push_back(nullptr);
        continue;
      }
      std::string name = "steer" + std::to_string(m.instance) + "_s" + std::to_string(pp.socket);
      rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), pp.mbufs, pp.cache, 0,
                                                uint16_t(d.mempools[k].data_room + RTE_PKTMBUF_HEADROOM), pp.socket);
      if (!mp) {
        errs.push_back({"mempools[" + std::to_string(k) + "]",
                        "creating " + std::to_string(pp.mbufs) + " mbufs on socket " + std::to_string(pp.socket) +
                            " failed (" + errno_text(rte_errno) +
                            "); give the EAL more memory (eal.memory_mb) or lower mbufs"});
        break;
      }
      m.pools.push_back(mp);
    }
  }
  if (errs.empty()) errs = m.setup_ports();
  if (!errs.empty()) {
    m.release();
    return errs;
  }

  m.build_workers();
  for (auto& w : m.workers) {
    if (int rc = rte_eal_remote_launch(worker_main, w.get(), w->lcore); rc != 0) {
      errs.push_back({"lcores", "launching lcore " + std::to_string(w->lcore) + " failed (" + errno_text(rc) + ")"});
      for (auto& x : m.workers) x->stop.store(true, std::memory_order_release);
      rte_eal_mp_wait_lcore();
      m.release();
      return errs;
    }
  }
  m.running = true;
  m.stopped = false;
  return {};
}

void Dataplane::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  // Workers run to completion: once a worker sees the flag it has already
  // transmitted (or freed and counted) everything it took, so joining it means
  // nothing is in flight on the lcore side.
  for (auto& w : m.workers) w->stop.store(true, std::memory_order_release);
  for (auto& w : m.workers) rte_eal_wait_lcore(w->lcore);
  for (size_t i = 0; i < m.ports.size(); ++i)
    if (m.port_started[i]) {
      (void)rte_eth_dev_stop(m.ports[i].port_id);
      m.port_started[i] = false;
    }
  m.stopped = true;
  m.running = false;
}

void Dataplane::close() {
  stop();
  impl_->release();
}

bool Dataplane::running() const {
  return impl_->running;
}
const Plan& Dataplane::plan() const {
  return impl_->plan;
}
const std::vector<PortInfo>& Dataplane::ports() const {
  return impl_->ports;
}

StatsSnapshot Dataplane::stats() const {
  const Impl& m = *impl_;
  StatsSnapshot s;
  s.tsc_hz = rte_get_tsc_hz();
  for (const auto& w : m.workers) {
    StatsSnapshot::Lcore l;
    l.lcore = w->lcore;
    l.loops = w->counters.loops.get();
    l.idle_loops = w->counters.idle_loops.get();
    l.busy_cycles = w->counters.busy_cycles.get();
    l.idle_cycles = w->counters.idle_cycles.get();
    l.sleeps = w->counters.sleeps.get();
    for (size_t j = 0; j < w->polled.size(); ++j) {
      StatsSnapshot::Queue q;
      q.port = m.d.ports[w->polled[j].port].name;
      q.queue = w->polled[j].queue;
      q.lcore = w->lcore;
      q.s.read(w->queues[j]);
      l.total += q.s;
      s.queues.push_back(q);
    }
    s.lcores.push_back(l);
  }
  for (const auto& p : m.ports) {
    StatsSnapshot::Port ps;
    ps.name = p.name;
    rte_eth_stats st;
    if (rte_eth_stats_get(p.port_id, &st) == 0) {
      ps.ipackets = st.ipackets;
      ps.opackets = st.opackets;
      ps.ibytes = st.ibytes;
      ps.obytes = st.obytes;
      ps.imissed = st.imissed;
      ps.ierrors = st.ierrors;
      ps.oerrors = st.oerrors;
      ps.rx_nombuf = st.rx_nombuf;
    }
    int n = rte_eth_xstats_get(p.port_id, nullptr, 0);
    if (n > 0) {
      std::vector<rte_eth_xstat> xs(static_cast<size_t>(n));
      std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
      if (rte_eth_xstats_get(p.port_id, xs.data(), unsigned(n)) == n &&
          rte_eth_xstats_get_names(p.port_id, names.data(), unsigned(n)) == n)
        for (int i = 0; i < n; ++i)
          if (xs[size_t(i)].value) ps.xstats.emplace_back(names[xs[size_t(i)].id].name, xs[size_t(i)].value);
    }
    s.ports.push_back(ps);
  }
  for (size_t k = 0; k < m.pools.size(); ++k) {
    if (!m.pools[k]) continue;
    StatsSnapshot::Pool pl;
    pl.name = m.pools[k]->name;
    pl.socket = m.plan.pools[k].socket;
    pl.size = m.pools[k]->size;
    pl.in_use = rte_mempool_in_use_count(m.pools[k]);
    pl.avail = rte_mempool_avail_count(m.pools[k]);
    s.pools.push_back(pl);
  }
  return s;
}

}  // namespace steer
