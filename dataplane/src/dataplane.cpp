// The Dataplane facade: start (probe, pools, ports, steering, workers,
// launch), stop, close, and the steering state a change is planned against.
// Ports are in ports.cpp, counters in stats.cpp, the lcores in worker/ and
// dispatch/, steering changes in backend/.
#include "steer/dataplane.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "guard/device_guard.h"
#include "impl.h"
#include "steer/text.h"
#include "steer/tsan.h"

namespace steer {

std::vector<ConfigError> Dataplane::Impl::create_pools() {
  std::vector<ConfigError> errs;
  for (size_t k = 0; k < plan.pools.size(); ++k) {
    const auto& pp = plan.pools[k];
    if (pp.ports.empty()) {
      pools.push_back(nullptr);
      continue;
    }
    std::string name = "steer" + std::to_string(instance) + "_s" + std::to_string(pp.socket);
    rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), pp.mbufs, pp.cache, 0,
                                              uint16_t(d.mempools[k].data_room + RTE_PKTMBUF_HEADROOM), pp.socket);
    if (!mp) {
      errs.push_back(
          {"mempools[" + std::to_string(k) + "]", "creating " + std::to_string(pp.mbufs) + " mbufs on socket " +
                                                      std::to_string(pp.socket) + " failed (" + errno_text(rte_errno) +
                                                      "); give the EAL more memory (eal.memory_mb) or lower mbufs"});
      break;
    }
    pools.push_back(mp);
  }
  return errs;
}

// The audits and each software-steered port's rings, dispatchers and first
// snapshot (hardware ports got theirs in setup_ports()). Runs after the ports
// are configured, before any lcore starts.
std::vector<ConfigError> Dataplane::Impl::setup_steering() {
  audits.clear();
  audits.resize(d.ports.size());
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    if (pc.audit) {
      audits[i] = std::make_unique<Audit>();
      audits[i]->flow_offset = pc.audit->flow_offset;
      audits[i]->seq_offset = pc.audit->seq_offset;
    }
    if (steering[i].hw) steering[i].hw->attach_queues(pc.rx_queues);
    if (!ports[i].steered || ports[i].backend != SteeringMode::Software) continue;
    auto errs = SoftwareBackend::create(d, i, ports[i].port_id, plan.port_socket[i], instance, steering[i].generation,
                                        dispatchers, &steering[i].soft);
    if (!errs.empty()) return errs;
    for (auto& ds : steering[i].soft->dispatchers()) {
      ds->rx_backed = peer[i].rx;
      ds->rx_pool = pools[size_t(plan.port_pool[i])];
    }
  }
  return {};
}

// One WorkerPlan per worker lcore: a step per queue it polls (per dispatcher
// ring, for a software-steered port's logical queue), published before launch.
void Dataplane::Impl::build_workers() {
  for (const auto& lc : d.lcores) {
    if (lc.poll.empty()) continue;  // a dispatcher only
    auto w = std::make_unique<Worker>();
    w->lcore = lc.lcore;
    auto wp = std::make_unique<WorkerPlan>();
    wp->burst = d.dataplane.burst;
    wp->tx_retries = d.dataplane.tx_retries;
    wp->poll = d.dataplane.poll;
    for (QueueId q : lc.poll) {
      const auto& pl = d.pipelines[size_t(plan.queue_pipeline[q.port][q.queue])];
      RxStep s{};
      s.port_id = ports[q.port].port_id;
      s.queue = q.queue;
      s.action = pl.action;
      const uint16_t out = pl.action == Action::Forward ? *pl.to : q.port;
      s.out_port_id = ports[out].port_id;
      const auto& senders = plan.tx_senders[out];
      for (size_t k = 0; k < senders.size(); ++k)
        if (senders[k] == lc.lcore) s.out_txq = uint16_t(k);
      std::memcpy(s.src_mac, ports[out].mac.data(), 6);
      s.set_dst = pl.dst_mac.has_value();
      if (pl.dst_mac) std::memcpy(s.dst_mac, pl.dst_mac->data(), 6);
      s.audit = audits[out].get();
      s.tx_ring = steering[out].soft ? steering[out].soft->tx_ring() : nullptr;
      s.rx_backed = peer[q.port].rx;
      s.tx_backed = s.tx_ring ? nullptr : peer[out].tx;
      if (auto st = options.stall_worker_ms.find(lc.lcore); st != options.stall_worker_ms.end()) {
        w->stall_at = rte_rdtsc() + uint64_t(st->second.first) * rte_get_tsc_hz() / 1000;
        w->stall_cycles = uint64_t(st->second.second) * rte_get_tsc_hz() / 1000;
      }
      if (auto slow = options.slow_worker_us.find(lc.lcore); slow != options.slow_worker_us.end())
        s.delay_cycles = uint64_t(slow->second) * rte_get_tsc_hz() / 1000000;
      if (const SoftwareBackend* soft = steering[q.port].soft.get()) {  // a logical queue: one ring per dispatcher
        for (auto& ds : soft->dispatchers()) {
          RxStep r = s;
          r.ring = ds->rings[q.queue];
          r.rx_backed = nullptr;  // a ring, not a device queue
          r.done = ds->done[q.queue];
          wp->steps.push_back(r);
          w->polled.push_back(q);
          w->via.push_back(ds->dev_queue);
        }
      } else {
        if (HardwareBackend* hw = steering[q.port].hw.get()) {
          s.hw = &hw->shared();
          w->hw_locals.push_back(std::make_unique<HwLocal>());
          w->hw_locals.back()->park.assign(kHwHoldBudget, nullptr);
          s.hwl = w->hw_locals.back().get();
          hw->add_poller(w.get());
        }
        wp->steps.push_back(s);
        w->polled.push_back(q);
        w->via.push_back(-1);
      }
    }
    w->queues = std::make_unique<QueueCounters[]>(wp->steps.size());
    for (size_t j = 0; j < wp->steps.size(); ++j) wp->steps[j].counters = &w->queues[j];
    (void)w->plan.publish(std::move(wp));  // the first plan: nothing to retire
    workers.push_back(std::move(w));
  }
}

void Dataplane::Impl::release() {
  close_ports();
  // The lcores are joined and the ports closed: what the backends hold goes.
  steering.clear();
  dispatched.clear();
  dispatchers.clear();
  audits.clear();
  device_rx_queues.clear();
  peer.clear();
  tx_watch.clear();
  tx_limit.clear();  // after the lcores that read it are joined
  ports.clear();
  probed_by_us.clear();
  for (rte_mempool* mp : pools) rte_mempool_free(mp);
  pools.clear();
  workers.clear();
}

size_t Dataplane::Impl::port_index(const std::string& name) const {
  size_t i = 0;
  while (i < d.ports.size() && d.ports[i].name != name) ++i;
  return i;
}

Dataplane::Dataplane() : impl_(std::make_unique<Impl>()) {}

Dataplane::~Dataplane() {
  stop();
  close();
}

std::vector<ConfigError> Dataplane::start(const Deployment& d, std::vector<std::string>* warnings,
                                          const StartOptions& options) {
  Impl& m = *impl_;
  if (m.running) return {{"", "the dataplane is already running"}};
  m.d = d;
  m.options = options;
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
  if (errs.empty()) errs = m.create_pools();
  if (errs.empty()) errs = m.setup_ports();
  if (errs.empty()) errs = m.setup_steering();
  if (!errs.empty()) {
    m.release();
    return errs;
  }

  m.build_workers();
  auto abort_launch = [&](unsigned lcore, int rc) {
    errs.push_back({"lcores", "launching lcore " + std::to_string(lcore) + " failed (" + errno_text(rc) + ")"});
    for (auto& x : m.workers) x->stop.store(true, std::memory_order_release);
    for (auto& x : m.dispatchers) x->stop.store(true, std::memory_order_release);
    rte_eal_mp_wait_lcore();
    for (auto& x : m.workers) tsan::acquire(x.get());
    for (auto& x : m.dispatchers) tsan::acquire(x.get());
    m.release();
    return errs;
  };
  for (auto& w : m.workers) tsan::release(w.get());
  for (auto& dl : m.dispatchers) tsan::release(dl.get());
  for (auto& w : m.workers)
    if (int rc = rte_eal_remote_launch(worker_main, w.get(), w->lcore); rc != 0) return abort_launch(w->lcore, rc);
  for (auto& dl : m.dispatchers)
    if (int rc = rte_eal_remote_launch(dispatcher_main, dl.get(), dl->lcore); rc != 0)
      return abort_launch(dl->lcore, rc);
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
  // Dispatchers stop taking RX first (releasing anything held); the workers
  // then empty the rings, for at most a second, before they stop.
  for (auto& dl : m.dispatchers) dl->stop.store(true, std::memory_order_release);
  for (auto& dl : m.dispatchers) rte_eal_wait_lcore(dl->lcore), tsan::acquire(dl.get());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (auto& ps : m.steering)
    if (ps.soft) ps.soft->wait_rings_empty(deadline);
  for (auto& w : m.workers) w->stop.store(true, std::memory_order_release);
  for (auto& w : m.workers) rte_eal_wait_lcore(w->lcore), tsan::acquire(w.get());
  // TX hand-back: the dispatchers are gone; transmit what the workers queued
  // last from here (queue 0 has no other user now).
  const unsigned self = rte_lcore_id();  // a burst from here, too, holds a teardown off
  device_guard::online(self);
  for (auto& ps : m.steering)
    if (ps.soft) ps.soft->flush_handback(m.d.dataplane.tx_retries);
  device_guard::offline(self);
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

std::vector<ConfigError> Dataplane::steering_state(const std::string& port, SteeringState* out) const {
  const Impl& m = *impl_;
  const size_t i = m.port_index(port);
  if (i == m.d.ports.size()) return {{"port", "no port named " + quote_name(port), ErrorKind::NotFound}};
  if (!m.running) return {{"port", "the dataplane is not running", ErrorKind::Unavailable}};
  if (i >= m.steering.size() || !m.steering[i].backend())
    return {
        {"port", "port " + port + " has no steering; add steering: to it in the deployment", ErrorKind::Precondition}};
  std::lock_guard<std::mutex> lock(m.state_mutex);
  out->port = port;
  out->index = i;
  out->config = m.steering[i].cfg;
  out->generation = m.steering[i].generation;
  out->queues = m.d.ports[i].rx_queues;
  out->backend = m.steering[i].backend()->kind();
  return {};
}

std::vector<ConfigError> Dataplane::check_change(const SteeringState& st, const ChangePlan& p) {
  return impl_->steering.at(st.index).backend()->check(st.port, p);
}

std::vector<ConfigError> Dataplane::apply_change(const SteeringState& st, const ChangePlan& p, ChangeReport* report) {
  Impl& m = *impl_;
  Impl::PortSteering& ps = m.steering.at(st.index);
  if (!m.running) return {{"port", "the dataplane is not running", ErrorKind::Unavailable}};
  uint64_t now;
  {
    std::lock_guard<std::mutex> lock(m.state_mutex);
    now = ps.generation;
  }
  if (now != st.generation)
    return {{"port",
             "port " + st.port + " moved to generation " + std::to_string(now) + " while this change (planned at " +
                 std::to_string(st.generation) + ") waited; plan it again",
             ErrorKind::Precondition}};
  const uint64_t gen = st.generation + 1;
  ChangeReport rep = report_of(st.port, p, gen);
  if (auto errs = ps.backend()->apply(st.port, p, gen, rep); !errs.empty()) return errs;
  {
    std::lock_guard<std::mutex> lock(m.state_mutex);
    ps.cfg = p.after;
    ps.generation = gen;
  }
  if (report) *report = rep;
  return {};
}

std::optional<SteeringConfig> Dataplane::steering(const std::string& port) const {
  const Impl& m = *impl_;
  const size_t i = m.port_index(port);
  if (i == m.d.ports.size()) return std::nullopt;
  std::lock_guard<std::mutex> lock(m.state_mutex);
  if (i < m.steering.size() && m.steering[i].backend()) return m.steering[i].cfg;
  return m.d.ports[i].steering;
}

uint64_t Dataplane::generation(const std::string& port) const {
  const Impl& m = *impl_;
  const size_t i = m.port_index(port);
  std::lock_guard<std::mutex> lock(m.state_mutex);
  return i < m.steering.size() ? m.steering[i].generation : 0;
}

std::vector<Dataplane::Heartbeat> Dataplane::heartbeats() const {
  const Impl& m = *impl_;
  std::vector<Heartbeat> out;
  for (const auto& w : m.workers) out.push_back({w->lcore, w->counters.loops.get()});
  for (const auto& dl : m.dispatchers) out.push_back({dl->lcore, dl->counters.loops.get()});
  return out;
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

}  // namespace steer
