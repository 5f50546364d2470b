#include "software.h"

#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "steer/plan.h"
#include "steer/tsan.h"
#include "steer/validate.h"

namespace steer {
namespace {

void free_ring(rte_ring* r) {
  void* obj;
  while (rte_ring_sc_dequeue(r, &obj) == 0) {
    tsan::acquire(obj);
    rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
  }
  rte_ring_free(r);
}

}  // namespace

std::unique_ptr<SteerSnapshot> SoftwareBackend::snapshot(const SteeringConfig& cfg, uint64_t generation,
                                                         const DrainPolicy& drain) {
  auto snap = std::make_unique<SteerSnapshot>(cfg);
  snap->generation = generation;
  snap->drain = drain.on;
  snap->timeout_cycles = drain.timeout_cycles(rte_get_tsc_hz());
  return snap;
}

std::vector<ConfigError> SoftwareBackend::create(const Deployment& d, size_t i, uint16_t port_id, int socket,
                                                 unsigned instance, uint64_t generation,
                                                 std::vector<std::unique_ptr<DispatcherLcore>>& lcores,
                                                 std::unique_ptr<SoftwareBackend>* out) {
  const auto& pc = d.ports[i];
  auto sp = std::make_unique<SoftwareBackend>();
  DrainPolicy first;
  first.timeout_ms = pc.steering->drain_timeout_ms;
  (void)sp->current_.publish(snapshot(*pc.steering, generation, first));
  const unsigned ring_size = rte_align32pow2(std::max<unsigned>(pc.rx_desc, 1024));
  const std::string where = "ports[" + std::to_string(i) + "]";
  for (const auto& lc : d.lcores)
    for (QueueId dq : lc.dispatch) {
      if (dq.port != i) continue;
      auto ds = std::make_unique<Dispatch>();
      ds->port_id = port_id;
      ds->dev_queue = dq.queue;
      ds->queues = pc.rx_queues;
      ds->burst = d.dataplane.burst;
      ds->lcore = lc.lcore;
      ds->port_name = pc.name;
      ds->current = &sp->current_;
      ds->enq.assign(pc.rx_queues, 0);
      ds->fence.assign(pc.rx_queues, 0);
      ds->stage.assign(size_t(pc.rx_queues) * kMaxBurst, nullptr);
      ds->stage_n.assign(pc.rx_queues, 0);
      ds->hold.assign(kHoldBudget, HeldPacket{nullptr, 0});
      ds->fields.resize(Dispatch::kChunk);
      ds->verdicts.resize(Dispatch::kChunk);
      ds->olds.resize(Dispatch::kChunk);
      sp->done_.emplace_back();
      for (uint16_t q = 0; q < pc.rx_queues; ++q) {
        const std::string name = "st" + std::to_string(instance) + "_" + std::to_string(i) + "_" +
                                 std::to_string(dq.queue) + "_" + std::to_string(q);
        rte_ring* r = rte_ring_create(name.c_str(), ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!r)
          return {{where + ".steering", "creating software steering ring " + name + " failed (" +
                                            errno_text(rte_errno) + "); give the EAL more memory (eal.memory_mb)"}};
        ds->rings.push_back(r);
        sp->done_.back().push_back(std::make_unique<RingDone>());
        ds->done.push_back(sp->done_.back().back().get());
      }
      auto dl = std::find_if(lcores.begin(), lcores.end(), [&](const auto& x) { return x->lcore == lc.lcore; });
      if (dl == lcores.end()) {
        lcores.push_back(std::make_unique<DispatcherLcore>());
        dl = lcores.end() - 1;
        (*dl)->lcore = lc.lcore;
        (*dl)->poll = d.dataplane.poll;
        (*dl)->tx_retries = d.dataplane.tx_retries;
      }
      (*dl)->items.push_back(ds.get());
      sp->dispatch_.push_back(std::move(ds));
    }
  if (tx_handback(d, i) && !sp->dispatch_.empty()) {
    const std::string name = "st" + std::to_string(instance) + "_" + std::to_string(i) + "_tx";
    sp->tx_ring_ = rte_ring_create(name.c_str(), 8192, socket, RING_F_SC_DEQ);
    if (!sp->tx_ring_)
      return {{where + ".tx_queues", "creating the TX hand-back ring failed (" + errno_text(rte_errno) + ")"}};
    sp->dispatch_[0]->tx_ring = sp->tx_ring_;
  }
  *out = std::move(sp);
  return {};
}

SoftwareBackend::~SoftwareBackend() {
  // The lcores are joined: what is held or still on a ring is freed here.
  for (auto& ds : dispatch_) {
    for (size_t k = 0; k < ds->hold_n; ++k) rte_pktmbuf_free(ds->hold[k].m);
    for (rte_ring* r : ds->rings) free_ring(r);
  }
  if (tx_ring_) free_ring(tx_ring_);
}

void SoftwareBackend::wait_rings_empty(std::chrono::steady_clock::time_point deadline) const {
  for (auto& ds : dispatch_)
    for (rte_ring* r : ds->rings)
      while (rte_ring_count(r) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void SoftwareBackend::flush_handback(uint16_t tx_retries) {
  if (tx_ring_)
    while (rte_ring_count(tx_ring_)) transmit_handback(*dispatch_[0], tx_retries);
}

// Publishes the new snapshot and waits for every dispatcher to adopt it and
// finish its drain; they bound the drain by the timeout, this bounds a
// dispatcher that stopped polling.
std::vector<ConfigError> SoftwareBackend::apply(const std::string&, const ChangePlan& p, uint64_t gen,
                                                ChangeReport& rep) {
  // A change of most of the rules (or the first) builds its table afresh:
  // cheaper than erasing and inserting each, and than catching a spare up
  // on it afterwards, so there is no spare after it.
  const bool afresh = p.rebuild_cheaper();
  if (afresh) spare_.reset();
  std::unique_ptr<SteerSnapshot> snap;
  if (spare_) {  // the spare: the change it missed, then this one
    snap = std::move(spare_);
    snap->table.update(spare_missed_.rss, spare_missed_.erase, spare_missed_.insert);
    snap->table.update(p.after.rss, p.destroyed, p.create);
    snap->generation = gen;
    snap->drain = p.drain.on;
    snap->timeout_cycles = p.drain.timeout_cycles(rte_get_tsc_hz());
  } else {
    snap = snapshot(p.after, gen, p.drain);
  }
  snap->loser = p.loser;
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t t0 = rte_rdtsc();
  std::unique_ptr<SteerSnapshot> old = current_.publish(std::move(snap));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(p.drain.wait_ms());
  // The 20 us naps below, not Linux's default 50 us of timer slack on each:
  // the wait is most of an idle change's round trip.
  (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  uint64_t adopted_max = t0, drained_max = t0;
  for (auto& ds : dispatch_) {
    while (ds->drained_generation.load(std::memory_order_acquire) != gen) {
      if (std::chrono::steady_clock::now() > deadline) {
        // Cannot happen while dispatchers run; the old snapshot may still be
        // read, so it is kept, and the next change builds a table afresh.
        (void)old.release();
        return {{"port", "dispatcher lcore " + std::to_string(ds->lcore) + " did not take the change within " +
                             std::to_string(p.drain.wait_ms()) + " ms"}};
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    adopted_max = std::max(adopted_max, ds->adopted_tsc);
    drained_max = std::max(drained_max, ds->drained_tsc);
    rep.held += ds->report_held;
    rep.longest_hold_us = std::max(rep.longest_hold_us, double(ds->report_hold_cycles) * 1e6 / double(hz));
    rep.timeouts += ds->report_timeouts;
  }
  rep.apply_us = double(adopted_max - t0) * 1e6 / double(hz);
  rep.drain_us = double(drained_max - adopted_max) * 1e6 / double(hz);
  // No dispatcher reads `old` any more: it is the spare, one change behind.
  if (!afresh) {
    spare_ = std::move(old);
    spare_missed_ = Missed{p.after.rss, p.destroyed, p.create};
  }
  return {};
}

}  // namespace steer
