#include "steer/dataplane.h"

#include <rte_bus.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "steer/hw_steering.h"
#include "steer/packet.h"
#include "steer/steering.h"

namespace steer {

namespace {

// A worker's progress on one software-steering ring: packets it dequeued and
// finished (transmitted, or freed and counted). The dispatcher's drain fence
// compares it with what it had enqueued when a change took effect.
struct alignas(64) RingDone {
  std::atomic<uint64_t> done{0};  // dataplane worker: rw, dispatcher: ro (acquire)
};

// Ordering audit for one port: the last sequence number sent per flow id
// (slot = flow id mod kSlots). Written by whichever worker sends the flow;
// the drain protocol orders those writers, so relaxed accesses suffice.
struct Audit {
  static constexpr uint32_t kSlots = 1u << 16;
  uint16_t flow_offset = 0, seq_offset = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> last { new std::atomic<uint64_t>[ kSlots ]() };  // bit 32: seen
};

// ---- Hardware steering: what the workers of a hardware-steered port share --

// One device queue of a hardware-steered port; written only by the lcore
// polling it, read by the other queues' lcores and the control side.
struct alignas(64) HwQueue {
  std::atomic<uint64_t> seen{0};      // the drain generation this queue's lcore adopted
  std::atomic<uint64_t> crossed{0};   // as a loser: the generation whose fence it crossed
  std::atomic<uint64_t> released{0};  // as a gainer: the generation whose parked packets it let go
  // The last drain's outcome here; written before `released` (release).
  uint64_t held = 0, hold_cycles = 0, released_tsc = 0;
  bool timed_out = false;
};

// One live change in progress on a hardware-steered port. Immutable once
// published, except applied_tsc, which the control side sets once the device
// took the change.
struct HwDrain {
  uint64_t generation = 0;
  std::vector<uint8_t> loser, gainer;  // per queue
  std::vector<uint16_t> losers;
  // Only the RETA changed: per configured bucket, the queue it moved from, or
  // kStayed (read with the NIC's hash.rss). Otherwise empty, and the old table
  // judges each packet.
  static constexpr uint16_t kStayed = UINT16_MAX;
  std::vector<uint16_t> moved_from;
  std::unique_ptr<SteeringTable> old_table;
  uint64_t timeout_cycles = 0;
  std::atomic<uint64_t> applied_tsc{0};  // controlplane: rw (release), dataplane: ro (acquire)
};

struct HwShared {
  SteeringDevice* dev = nullptr;
  std::atomic<const HwDrain*> drain{nullptr};  // controlplane: rw (release), dataplane: ro (acquire)
  std::unique_ptr<HwQueue[]> q;                // per device queue
};

// A worker's own drain state for one hardware queue it polls.
struct HwLocal {
  uint64_t gen = 0, fence = 0, taken = 0, first_hold = 0;
  bool fence_set = false, crossed = false, released = false;
  std::vector<rte_mbuf*> park;  // kHwHoldBudget, allocated at start
  size_t parked = 0;
};

// One polled RX queue (a device queue, or a software-steering ring) and what
// to do with its packets. Immutable once published.
struct RxStep {
  uint16_t port_id;
  uint16_t queue;
  rte_ring* ring;         // software steering: dequeue here instead of the device
  RingDone* done;         // with ring: progress for the dispatcher's fence
  Audit* audit;           // ordering audit of the output port, or null
  uint64_t delay_cycles;  // test knob: spin this long per burst (a slow worker)
  rte_ring* tx_ring;      // TX hand-back: enqueue here (multi-producer) instead of tx_burst
  HwShared* hw;           // a hardware-steered port's queue: drains happen here
  HwLocal* hwl;           // with hw: this lcore's drain state for the queue
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
  std::atomic<uint64_t> quiescent{0};            // dataplane: rw (release) after each loop, controlplane: ro
  LcoreCounters counters;                        // dataplane: rw (this lcore), controlplane: ro
  std::unique_ptr<QueueCounters[]> queues;       // one per step, same order
  std::unique_ptr<WorkerPlan> owned_plan;        // keeps the published plan alive
  std::vector<std::unique_ptr<HwLocal>> hw_locals;
  std::vector<QueueId> polled;  // for stats labels
  std::vector<int> via;         // per step: the dispatcher's device queue feeding its ring, or -1
};

constexpr unsigned kPrefetchAhead = 4;
constexpr unsigned kSpinBeforePause = 64;
constexpr unsigned kPauseBeforeSleep = 1024;

// Bounded retries on partial TX; what still does not fit is freed and counted,
// so every mbuf leaves the lcore with exactly one owner.
inline void audit_burst(const Audit& a, rte_mbuf** pkts, uint16_t n, QueueCounters& c) {
  const uint32_t need = uint32_t(std::max(a.flow_offset, a.seq_offset)) + 4;
  uint64_t regressions = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const rte_mbuf* m = pkts[i];
    if (unlikely(rte_pktmbuf_data_len(m) < need)) continue;
    const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
    uint32_t flow, seq;
    std::memcpy(&flow, d + a.flow_offset, 4);
    std::memcpy(&seq, d + a.seq_offset, 4);
    std::atomic<uint64_t>& slot = a.last[flow & (Audit::kSlots - 1)];
    const uint64_t prev = slot.load(std::memory_order_relaxed);
    if ((prev >> 32) && int32_t(seq - uint32_t(prev)) < 0) ++regressions;
    slot.store((uint64_t(1) << 32) | seq, std::memory_order_relaxed);
  }
  if (regressions) c.reordered.add(regressions);
}

inline void send(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts, uint16_t n) {
  if (s.audit) audit_burst(*s.audit, pkts, n, *s.counters);
  if (s.tx_ring) {  // one FIFO to the dispatcher keeps the order the drain fence set
    unsigned sent = rte_ring_mp_enqueue_burst(s.tx_ring, reinterpret_cast<void**>(pkts), n, nullptr);
    for (unsigned r = 0; sent < n && r < plan.tx_retries; ++r) {
      rte_pause();
      sent += rte_ring_mp_enqueue_burst(s.tx_ring, reinterpret_cast<void**>(pkts + sent), n - sent, nullptr);
    }
    if (sent < n) {
      rte_pktmbuf_free_bulk(pkts + sent, n - sent);
      s.counters->tx_dropped.add(n - sent);
    }
    s.counters->tx.add(sent);
    return;
  }
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

// Packets taken from a queue through the pipeline: dropped, or MACs rewritten
// and sent.
inline void process(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts, uint16_t n) {
  QueueCounters& c = *s.counters;
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
  if (unlikely(s.delay_cycles)) {
    const uint64_t until = rte_rdtsc() + s.delay_cycles;
    while (rte_rdtsc() < until) rte_pause();
  }
}

// ---- The drain on a hardware queue ------------------------------------------
//
// A gainer parks packets of flows that moved to it until every loser crossed
// its fence; a loser's fence is the backlog its device queue had once the
// device took the change (rte_eth_rx_queue_count), or, where the PMD cannot
// count, its first empty poll after that. Run to completion: what a loser
// took before crossing has been transmitted when it crosses.

inline HwQueue& hw_queue(const RxStep& s, uint16_t q) {
  return s.hw->q[q];
}

// Whether a packet this gainer received belongs to a flow that was steered
// elsewhere before the change. A packet of a bucket that moved away from this
// queue (it arrived before the change) is not: it leaves with the loser's
// backlog, ahead of the fence.
inline bool moved_here(const HwDrain& dr, const rte_mbuf* m, uint16_t queue) {
  if (!dr.moved_from.empty() && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)) {
    const uint16_t from = dr.moved_from[m->hash.rss % dr.moved_from.size()];
    return from != HwDrain::kStayed && from != queue;
  }
  const PacketFields f = parse_fields(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
  const SteerVerdict v = dr.old_table->classify(f);
  return v.kind == SteerVerdict::Queue && v.queue != queue;
}

void hw_release(const RxStep& s, const WorkerPlan& plan, uint64_t now, bool timed_out) {
  HwLocal& l = *s.hwl;
  HwQueue& q = hw_queue(s, s.queue);
  for (size_t i = 0; i < l.parked; i += plan.burst)
    process(s, plan, l.park.data() + i, uint16_t(std::min<size_t>(plan.burst, l.parked - i)));
  if (l.parked) s.counters->held.add(l.parked);
  if (timed_out) s.counters->drain_timeouts.add(1);
  q.held = l.parked;
  q.hold_cycles = l.parked ? now - l.first_hold : 0;
  q.timed_out = timed_out;
  q.released_tsc = now;
  l.parked = 0;
  l.released = true;
  q.released.store(l.gen, std::memory_order_release);
}

inline void hw_cross(const RxStep& s) {
  s.hwl->crossed = true;
  hw_queue(s, s.queue).crossed.store(s.hwl->gen, std::memory_order_release);
}

unsigned run_hw_drain_step(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts, const HwDrain* dr) {
  HwLocal& l = *s.hwl;
  if (!dr) {  // the drain ended before this lcore let go of what it parked
    hw_release(s, plan, rte_rdtsc(), false);
    return 0;
  }
  if (l.gen != dr->generation) {
    l = HwLocal{dr->generation, 0, 0, 0, false, false, false, std::move(l.park), l.parked};
    hw_queue(s, s.queue).seen.store(dr->generation, std::memory_order_release);
  }
  const bool loser = dr->loser[s.queue];
  const uint64_t applied = dr->applied_tsc.load(std::memory_order_acquire);
  const uint64_t now = rte_rdtsc();  // after `applied`: never earlier than it
  if (applied && loser && !l.fence_set) {
    const int backlog = s.hw->dev->rx_queue_count(s.queue);
    l.fence = backlog >= 0 ? l.taken + uint64_t(backlog) : UINT64_MAX;  // unknown: the first empty poll
    l.fence_set = true;
    if (l.taken >= l.fence) hw_cross(s);
  }
  if (applied && dr->gainer[s.queue] && !l.released) {
    bool all = true;
    for (uint16_t q : dr->losers)
      if (hw_queue(s, q).crossed.load(std::memory_order_acquire) != dr->generation) {
        all = false;
        break;
      }
    // Signed: `applied` is the control lcore's TSC, which may run a little ahead of this one's.
    if (all || int64_t(now - applied) >= int64_t(dr->timeout_cycles)) hw_release(s, plan, now, !all);
  }
  QueueCounters& c = *s.counters;
  const uint16_t n = rte_eth_rx_burst(s.port_id, s.queue, pkts, plan.burst);
  c.burst_hist[burst_bucket(n)].add(1);
  if (n == 0) {
    c.empty_polls.add(1);
    if (l.fence_set && !l.crossed) hw_cross(s);  // seen empty after the change
    return 0;
  }
  c.rx.add(n);
  l.taken += n;
  uint16_t keep = n;
  if (dr->gainer[s.queue] && !l.released) {
    keep = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      if (!l.released && moved_here(*dr, m, s.queue)) {
        if (l.parked == l.park.size()) {
          hw_release(s, plan, now, true);  // hold budget spent: released early, counted as a timeout
        } else {
          if (!l.parked) l.first_hold = now;
          l.park[l.parked++] = m;
          continue;
        }
      }
      pkts[keep++] = m;
    }
  }
  if (keep) process(s, plan, pkts, keep);
  if (l.fence_set && !l.crossed && l.taken >= l.fence) hw_cross(s);
  return n;
}

// One RX burst through its pipeline. Cycle accounting is the caller's: one
// TSC read per non-empty burst is all the loop can afford.
inline unsigned run_step(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts) {
  if (s.hw) {
    const HwDrain* dr = s.hw->drain.load(std::memory_order_acquire);
    if (unlikely(dr || s.hwl->parked)) return run_hw_drain_step(s, plan, pkts, dr);
  }
  QueueCounters& c = *s.counters;
  const uint16_t n =
      s.ring ? uint16_t(rte_ring_sc_dequeue_burst(s.ring, reinterpret_cast<void**>(pkts), plan.burst, nullptr))
             : rte_eth_rx_burst(s.port_id, s.queue, pkts, plan.burst);
  c.burst_hist[burst_bucket(n)].add(1);
  if (n == 0) {
    c.empty_polls.add(1);
    return 0;
  }
  c.rx.add(n);
  process(s, plan, pkts, n);
  if (s.done) s.done->done.store(s.done->done.load(std::memory_order_relaxed) + n, std::memory_order_release);
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
  uint64_t iteration = 0;
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
    // Nothing read from this iteration's plan or drain is used after this:
    // the control side's grace period for freeing a drain.
    w.quiescent.store(++iteration, std::memory_order_release);
  }
  // Stopping: let go of anything parked by a drain.
  const WorkerPlan& plan = *w.plan.load(std::memory_order_acquire);
  for (const RxStep& s : plan.steps)
    if (s.hwl && s.hwl->parked) hw_release(s, plan, rte_rdtsc(), false);
  return 0;
}

// ---- Software steering -----------------------------------------------------

// The published steering state of one software-steered port. Immutable; the
// control side frees a snapshot only after every dispatcher has finished the
// drain that still reads it (its drained_generation moved past).
struct SteerSnapshot {
  uint64_t generation = 0;
  SteeringTable table;
  bool drain = false;          // hold moved flows until the losers cross their fences
  std::vector<uint8_t> loser;  // per logical queue: 1 when it may have lost flows
  uint64_t timeout_cycles = 0;
  explicit SteerSnapshot(const SteeringConfig& c) : table(c) {}
};

struct HeldPacket {
  rte_mbuf* m;
  uint16_t queue;
};

constexpr size_t kHoldCapacity = kHoldBudget;

// One dispatcher: a device RX queue of a software-steered port.
struct Dispatch {
  // Fixed at start.
  uint16_t port_id = 0, dev_queue = 0, queues = 0, burst = 32;
  unsigned lcore = 0;
  std::string port_name;
  std::vector<rte_ring*> rings;                          // per logical queue
  std::vector<RingDone*> done;                           // per logical queue: the worker's progress on that ring
  std::atomic<const SteerSnapshot*>* current = nullptr;  // controlplane: rw (release), dispatcher: ro (acquire)
  rte_ring* tx_ring = nullptr;  // TX hand-back ring this dispatcher transmits from (queue 0), or null
  // Dispatcher lcore only.
  const SteerSnapshot* active = nullptr;
  const SteerSnapshot* prev = nullptr;  // during a drain: the table flows are moving from
  std::vector<uint64_t> enq, fence;     // per logical queue
  std::vector<rte_mbuf*> stage;         // queues x kMaxBurst
  std::vector<uint16_t> stage_n;
  std::vector<HeldPacket> hold;
  size_t hold_n = 0;
  bool draining = false;
  uint64_t drain_start = 0, first_hold = 0;
  // The last change's outcome: written before drained_generation (release).
  uint64_t adopted_tsc = 0, drained_tsc = 0, report_held = 0, report_hold_cycles = 0, report_timeouts = 0;
  std::atomic<uint64_t> drained_generation{UINT64_MAX};  // dispatcher: rw, controlplane: ro
  DispatchCounters counters;                             // dispatcher: rw, controlplane: ro
};

struct DispatcherLcore {
  unsigned lcore = 0;
  PollMode poll = PollMode::Busy;
  uint16_t tx_retries = 8;
  std::vector<Dispatch*> items;
  std::atomic<bool> stop{false};  // controlplane: rw, dispatcher: ro
  LcoreCounters counters;
};

// Enqueues in order; a full ring is retried briefly (a worker is behind),
// then what is left is freed and counted: an mbuf never has two owners.
void enqueue_or_count(Dispatch& d, uint16_t q, rte_mbuf** pkts, unsigned n, bool patient) {
  unsigned sent = rte_ring_sp_enqueue_burst(d.rings[q], reinterpret_cast<void**>(pkts), n, nullptr);
  if (patient && sent < n) {
    const uint64_t until = rte_rdtsc() + rte_get_tsc_hz() / 1000;
    while (sent < n && rte_rdtsc() < until) {
      rte_pause();
      sent += rte_ring_sp_enqueue_burst(d.rings[q], reinterpret_cast<void**>(pkts + sent), n - sent, nullptr);
    }
  }
  d.enq[q] += sent;
  if (sent < n) {
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    d.counters.ring_full.add(n - sent);
  }
}

void publish_done(Dispatch& d, uint64_t now) {
  d.drained_tsc = now;
  d.drained_generation.store(d.active->generation, std::memory_order_release);
}

// Releases what the drain held, in arrival order, ahead of anything newer.
void end_drain(Dispatch& d, uint64_t now, bool timed_out) {
  // Runs of consecutive packets for one queue go out together; the stage
  // arrays may hold the current burst's unmoved packets, so they are not used.
  rte_mbuf* run[kMaxBurst];
  size_t i = 0;
  while (i < d.hold_n) {
    const uint16_t q = d.hold[i].queue;
    unsigned k = 0;
    while (i < d.hold_n && d.hold[i].queue == q && k < kMaxBurst) run[k++] = d.hold[i++].m;
    enqueue_or_count(d, q, run, k, true);
  }
  d.report_held = d.hold_n;
  d.report_hold_cycles = d.hold_n ? now - d.first_hold : 0;
  d.report_timeouts = timed_out ? 1 : 0;
  if (timed_out) d.counters.timeouts.add(1);
  d.hold_n = 0;
  d.draining = false;
  d.prev = nullptr;
  publish_done(d, now);
}

void try_end_drain(Dispatch& d, uint64_t now) {
  for (uint16_t q = 0; q < d.queues; ++q)
    if (d.active->loser[q] && d.done[q]->done.load(std::memory_order_acquire) < d.fence[q]) {
      if (now - d.drain_start >= d.active->timeout_cycles) end_drain(d, now, true);
      return;
    }
  end_drain(d, now, false);
}

void adopt(Dispatch& d, const SteerSnapshot* s, uint64_t now) {
  if (d.draining) end_drain(d, now, false);  // the control side serialises changes; defensive
  d.prev = d.active;
  d.active = s;
  d.adopted_tsc = now;
  d.report_held = d.report_hold_cycles = d.report_timeouts = 0;
  if (d.prev && s->drain) {
    // The fence: everything enqueued so far to a losing queue must be finished
    // by its worker before a moved flow may continue on its new queue.
    d.fence = d.enq;
    d.draining = true;
    d.drain_start = now;
    d.first_hold = 0;
    try_end_drain(d, now);  // nothing in flight: done at once
  } else {
    d.prev = nullptr;
    publish_done(d, now);
  }
}

// TX hand-back: what the workers queued goes out on TX queue 0, in order.
unsigned transmit_handback(Dispatch& d, uint16_t tx_retries) {
  rte_mbuf* out[kMaxBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(d.tx_ring, reinterpret_cast<void**>(out), kMaxBurst, nullptr);
  if (!n) return 0;
  unsigned sent = rte_eth_tx_burst(d.port_id, 0, out, uint16_t(n));
  for (unsigned r = 0; sent < n && r < tx_retries; ++r) {
    rte_pause();
    sent += rte_eth_tx_burst(d.port_id, 0, out + sent, uint16_t(n - sent));
  }
  if (sent < n) {
    rte_pktmbuf_free_bulk(out + sent, n - sent);
    d.counters.ring_full.add(n - sent);
  }
  return n;
}

unsigned dispatch_step(Dispatch& d, rte_mbuf** pkts) {
  const SteerSnapshot* s = d.current->load(std::memory_order_acquire);
  uint64_t now = rte_rdtsc();
  if (s != d.active) adopt(d, s, now);
  if (d.draining) try_end_drain(d, now);
  const uint16_t n = rte_eth_rx_burst(d.port_id, d.dev_queue, pkts, d.burst);
  if (!n) {
    d.counters.empty_polls.add(1);
    return 0;
  }
  d.counters.rx.add(n);
  const SteeringTable& table = d.active->table;
  uint64_t marked = 0, dropped = 0, held = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const PacketFields f = parse_fields(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
    const SteerVerdict v = table.classify(f);
    m->hash.rss = v.hash;
    m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
    if (v.marked) {
      m->hash.fdir.hi = v.mark;
      m->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
      ++marked;
    }
    if (v.kind == SteerVerdict::Drop) {
      rte_pktmbuf_free(m);
      ++dropped;
      continue;
    }
    if (d.draining) {
      const SteerVerdict old = d.prev->table.classify(f);
      if (old.kind == SteerVerdict::Queue && old.queue != v.queue) {  // this flow moved: park it
        if (d.hold_n == d.hold.size()) end_drain(d, now, true);       // hold budget spent: counted as a timeout
        if (d.draining) {
          if (!d.hold_n) d.first_hold = now;
          d.hold[d.hold_n++] = HeldPacket{m, v.queue};
          ++held;
          continue;
        }
      }
    }
    d.stage[size_t(v.queue) * kMaxBurst + d.stage_n[v.queue]++] = m;
  }
  for (uint16_t q = 0; q < d.queues; ++q)
    if (d.stage_n[q]) {
      enqueue_or_count(d, q, &d.stage[size_t(q) * kMaxBurst], d.stage_n[q], false);
      d.stage_n[q] = 0;
    }
  if (marked) d.counters.marked.add(marked);
  if (dropped) d.counters.rule_drops.add(dropped);
  if (held) d.counters.held.add(held);
  return n;
}

int dispatcher_main(void* arg) {
  DispatcherLcore& l = *static_cast<DispatcherLcore*>(arg);
  rte_mbuf* pkts[kMaxBurst];
  unsigned idle_streak = 0;
  uint64_t prev = rte_rdtsc();
  while (!l.stop.load(std::memory_order_acquire)) {
    unsigned moved = 0;
    for (Dispatch* d : l.items) {
      moved += dispatch_step(*d, pkts);
      if (d->tx_ring) moved += transmit_handback(*d, l.tx_retries);
    }
    const uint64_t now = rte_rdtsc();
    l.counters.loops.add(1);
    bool draining = false;
    for (Dispatch* d : l.items) draining |= d->draining;
    if (moved || draining) {  // a drain in progress is never slept through
      l.counters.busy_cycles.add(now - prev);
      idle_streak = 0;
    } else {
      l.counters.idle_cycles.add(now - prev);
      l.counters.idle_loops.add(1);
      if (l.poll == PollMode::Adaptive) back_off(++idle_streak, l.counters);
    }
    prev = now;
  }
  // Stopping: adopt whatever is published and release anything held.
  for (Dispatch* d : l.items) {
    const uint64_t now = rte_rdtsc();
    const SteerSnapshot* s = d->current->load(std::memory_order_acquire);
    if (s != d->active) adopt(*d, s, now);
    if (d->draining) end_drain(*d, now, false);
  }
  return 0;
}

std::string hex_u64(uint64_t v) {
  char b[20];
  std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
  return b;
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

  // Software steering, per port (null when the port is not software-steered).
  struct SoftPort {
    SteeringConfig cfg;
    uint64_t generation = 0;
    std::atomic<const SteerSnapshot*> current{nullptr};        // controlplane: rw, dispatchers: ro
    std::unique_ptr<SteerSnapshot> live;                       // what `current` points to
    std::vector<std::unique_ptr<Dispatch>> dispatch;           // per device RX queue
    std::vector<std::vector<std::unique_ptr<RingDone>>> done;  // [device queue][logical queue]
    rte_ring* tx_ring = nullptr;                               // TX hand-back (tx_handback()), drained by dispatch[0]
  };
  std::vector<std::unique_ptr<SoftPort>> soft;
  // Hardware steering, per port (null when the port is not hardware-steered).
  struct HwPort {
    SteeringConfig cfg;
    uint64_t generation = 0;
    HwCaps caps;
    std::unique_ptr<SteeringDevice> dev;
    HwShared shared;
    std::map<std::string, std::vector<rte_flow*>> flows;  // by rule name: one per IP family
    std::vector<Worker*> pollers;                         // workers polling this port's queues
  };
  std::vector<std::unique_ptr<HwPort>> hw;
  std::vector<uint16_t> dispatched;  // per port: device queues declared for dispatchers
  SteeringDeviceFactory device_factory;
  std::vector<uint16_t> device_rx_queues;  // per port: queues opened on the device
  std::vector<std::unique_ptr<Audit>> audits;
  std::vector<std::unique_ptr<DispatcherLcore>> dispatchers;
  // One writer of steering at a time; readers of the steering state (cfg,
  // generation) take it too, so they never see a half-assigned config.
  mutable std::mutex change_mutex;
  std::deque<ChangeReport> reports;
  uint64_t next_change_id = 1;

  std::vector<ConfigError> probe_ports();
  std::vector<ConfigError> setup_steering();
  std::unique_ptr<SteerSnapshot> make_snapshot(const SteeringConfig& cfg, uint64_t generation) const;
  std::vector<ConfigError> setup_ports();
  bool configure_port(size_t i, std::vector<ConfigError>& errs);
  std::string start_hardware(size_t i);
  std::string create_rules(HwPort& hp, const RssConfig& rss, const std::vector<FlowRule>& rules, uint16_t queues,
                           std::map<std::string, std::vector<rte_flow*>>* out, std::string* failed_rule);
  void destroy_rules(HwPort& hp, std::map<std::string, std::vector<rte_flow*>>& flows);
  std::vector<ConfigError> change_hardware(size_t i, const SteeringConfig& next, const SteeringChange& c,
                                           ChangeReport& rep, bool global, const std::vector<uint8_t>& loser,
                                           const std::vector<uint8_t>& gainer);
  void retire_drain(HwPort& hp, std::unique_ptr<HwDrain> dr);
  void build_workers();
  void release();
};

std::vector<ConfigError> Dataplane::Impl::probe_ports() {
  std::vector<ConfigError> errs;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    std::string path = "ports[" + std::to_string(i) + "].device";
    std::string devname = pc.device.substr(0, pc.device.find(','));
    dispatched.push_back(0);
    hw.emplace_back();
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
    // Steering backend: hardware where the device can do all of it, software otherwise.
    uint16_t dispatched_count = 0;
    for (const auto& lc : d.lcores)
      for (QueueId q : lc.dispatch) dispatched_count += q.port == i;
    uint16_t device_rx = pc.rx_queues;
    dispatched.back() = dispatched_count;
    if (pc.steering) {
      pi.steered = true;
      auto hp = std::make_unique<HwPort>();
      if (device_factory) hp->dev = device_factory(pc.name, pid);
      if (!hp->dev) hp->dev = ethdev_steering(pid);
      std::string no_hw;
      const HwCaps& hc = hp->caps;
      const SteeringConfig& sc = *pc.steering;
      if (int crc = hp->dev->caps(&hp->caps); crc != 0)
        no_hw = "reading its RSS capabilities failed (" + errno_text(crc) + ")";
      else if (hc.reta_size == 0)
        no_hw = "the device has no RSS redirection table (reta_size 0)";
      else if (hc.max_rx_queues < pc.rx_queues)
        no_hw = "the device has " + std::to_string(hc.max_rx_queues) + " RX queues and the deployment wants " +
                std::to_string(pc.rx_queues);
      else if (hc.key_size && hc.key_size != sc.rss.key.size())
        no_hw = "the device takes a " + std::to_string(hc.key_size) + "-byte RSS key, not " +
                std::to_string(sc.rss.key.size());
      else if (uint64_t missing = rss_hf_required(sc.rss.types) & ~hc.rss_offloads; missing)
        no_hw = "the device cannot hash every configured type (RTE_ETH_RSS_* bits 0x" + hex_u64(missing) + " missing)";
      else if (tx_handback(d, i))
        no_hw = "the port has " + std::to_string(pc.tx_queues) +
                " TX queue(s) for more sending lcores, and the TX hand-back runs on a software dispatcher";
      else if (hc.reta_size % sc.rss.reta.size() != 0)
        no_hw = "the device's RETA has " + std::to_string(hc.reta_size) + " entries, which the configured " +
                std::to_string(sc.rss.reta.size()) + " do not divide";
      if (no_hw.empty()) hw.back() = std::move(hp);
      const std::string path_mode = "ports[" + std::to_string(i) + "].steering.mode";
      if (pc.steering->mode == SteeringMode::Hardware && !no_hw.empty()) {
        errs.push_back({path_mode, "port " + pc.name + " (" + pi.caps.driver + ") cannot steer in hardware: " + no_hw +
                                       "; use mode: auto or software"});
      } else if (pc.steering->mode == SteeringMode::Software || !no_hw.empty()) {
        pi.backend = SteeringMode::Software;
        pi.backend_reason = pc.steering->mode == SteeringMode::Software ? "mode: software" : no_hw;
        hw.back().reset();
        if (!dispatched_count)
          errs.push_back({"ports[" + std::to_string(i) + "].steering",
                          "port " + pc.name + " steers in software (" + pi.backend_reason +
                              ") and needs a dispatcher lcore: add {lcore: N, dispatch: [" + pc.name +
                              ":0]} to lcores"});
        device_rx = dispatched_count;
      } else {
        pi.backend = SteeringMode::Hardware;
        pi.backend_reason = "the device takes the RSS key, hash types, RETA and rules";  // confirmed at start
      }
    }
    device_rx_queues.push_back(device_rx ? device_rx : pc.rx_queues);
    ports.push_back(pi);
    Deployment as_opened = d;  // device limits apply to what is opened on the device
    as_opened.ports[i].rx_queues = device_rx_queues.back();
    auto caps_errs = check_device(as_opened, i, pi.caps);
    errs.insert(errs.end(), caps_errs.begin(), caps_errs.end());
  }
  return errs;
}

std::unique_ptr<SteerSnapshot> Dataplane::Impl::make_snapshot(const SteeringConfig& cfg, uint64_t generation) const {
  auto snap = std::make_unique<SteerSnapshot>(cfg);
  snap->generation = generation;
  snap->timeout_cycles = uint64_t(cfg.drain_timeout_ms) * rte_get_tsc_hz() / 1000;
  return snap;
}

// Rings from each dispatcher to each logical queue, the dispatchers, and the
// first snapshot. Runs after the ports are configured, before any lcore starts.
std::vector<ConfigError> Dataplane::Impl::setup_steering() {
  soft.clear();
  soft.resize(d.ports.size());
  audits.clear();
  audits.resize(d.ports.size());
  std::map<unsigned, DispatcherLcore*> by_lcore;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    if (pc.audit) {
      audits[i] = std::make_unique<Audit>();
      audits[i]->flow_offset = pc.audit->flow_offset;
      audits[i]->seq_offset = pc.audit->seq_offset;
    }
    if (hw[i]) {
      hw[i]->shared.dev = hw[i]->dev.get();
      hw[i]->shared.q = std::make_unique<HwQueue[]>(pc.rx_queues);
    }
    if (!ports[i].steered || ports[i].backend != SteeringMode::Software) continue;
    auto sp = std::make_unique<SoftPort>();
    sp->cfg = *pc.steering;
    sp->live = make_snapshot(sp->cfg, 0);
    sp->current.store(sp->live.get(), std::memory_order_release);
    const unsigned ring_size = rte_align32pow2(std::max<unsigned>(pc.rx_desc, 1024));
    for (const auto& lc : d.lcores)
      for (QueueId dq : lc.dispatch) {
        if (dq.port != i) continue;
        auto ds = std::make_unique<Dispatch>();
        ds->port_id = ports[i].port_id;
        ds->dev_queue = dq.queue;
        ds->queues = pc.rx_queues;
        ds->burst = d.dataplane.burst;
        ds->lcore = lc.lcore;
        ds->port_name = pc.name;
        ds->current = &sp->current;
        ds->enq.assign(pc.rx_queues, 0);
        ds->fence.assign(pc.rx_queues, 0);
        ds->stage.assign(size_t(pc.rx_queues) * kMaxBurst, nullptr);
        ds->stage_n.assign(pc.rx_queues, 0);
        ds->hold.assign(kHoldCapacity, HeldPacket{nullptr, 0});
        sp->done.emplace_back();
        for (uint16_t q = 0; q < pc.rx_queues; ++q) {
          const std::string name = "st" + std::to_string(instance) + "_" + std::to_string(i) + "_" +
                                   std::to_string(dq.queue) + "_" + std::to_string(q);
          rte_ring* r = rte_ring_create(name.c_str(), ring_size, plan.port_socket[i], RING_F_SP_ENQ | RING_F_SC_DEQ);
          if (!r)
            return {{"ports[" + std::to_string(i) + "].steering", "creating software steering ring " + name +
                                                                      " failed (" + errno_text(rte_errno) +
                                                                      "); give the EAL more memory (eal.memory_mb)"}};
          ds->rings.push_back(r);
          sp->done.back().push_back(std::make_unique<RingDone>());
          ds->done.push_back(sp->done.back().back().get());
        }
        DispatcherLcore*& dl = by_lcore[lc.lcore];
        if (!dl) {
          dispatchers.push_back(std::make_unique<DispatcherLcore>());
          dl = dispatchers.back().get();
          dl->lcore = lc.lcore;
          dl->poll = d.dataplane.poll;
          dl->tx_retries = d.dataplane.tx_retries;
        }
        dl->items.push_back(ds.get());
        sp->dispatch.push_back(std::move(ds));
      }
    if (tx_handback(d, i) && !sp->dispatch.empty()) {
      const std::string name = "st" + std::to_string(instance) + "_" + std::to_string(i) + "_tx";
      sp->tx_ring = rte_ring_create(name.c_str(), 8192, plan.port_socket[i], RING_F_SC_DEQ);
      if (!sp->tx_ring)
        return {{"ports[" + std::to_string(i) + "].tx_queues",
                 "creating the TX hand-back ring failed (" + errno_text(rte_errno) + ")"}};
      sp->dispatch[0]->tx_ring = sp->tx_ring;
    }
    soft[i] = std::move(sp);
  }
  return {};
}

// Configures, sets up the queues of and starts port i as probed (hardware
// steering: RSS over the device queues; software: the dispatchers' queues).
bool Dataplane::Impl::configure_port(size_t i, std::vector<ConfigError>& errs) {
  const auto& pc = d.ports[i];
  const uint16_t pid = ports[i].port_id;
  const std::string path = "ports[" + std::to_string(i) + "]";
  auto fail = [&](const std::string& what, int rc) {
    errs.push_back({path, "port " + pc.name + ": " + what + " failed (" + errno_text(rc) + ")"});
    return false;
  };
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(pid, &info); rc != 0) return fail("reading device info", rc);
  rte_eth_conf conf{};
  const uint16_t nb_rx = device_rx_queues[i];
  // Several RX queues on a NIC that hashes: spread by its RSS over IP/L4.
  // Live RSS/RETA control is the steering layer's job; this is the default.
  const uint64_t want_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
  std::vector<uint8_t> key;
  if (hw[i]) {  // the configured key and hash types from the start; start_hardware() sets them again
    const SteeringConfig& sc = *pc.steering;
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    if (info.hash_key_size == sc.rss.key.size()) {
      key = sc.rss.key;
      conf.rx_adv_conf.rss_conf.rss_key = key.data();
      conf.rx_adv_conf.rss_conf.rss_key_len = uint8_t(key.size());
    }
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf(sc.rss.types) & info.flow_type_rss_offloads;
  } else if (nb_rx > 1 && (info.flow_type_rss_offloads & want_hf)) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & want_hf;
  }
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  if (int rc = rte_eth_dev_configure(pid, nb_rx, pc.tx_queues, &conf); rc != 0)
    return fail("rte_eth_dev_configure(" + std::to_string(nb_rx) + " rx, " + std::to_string(pc.tx_queues) + " tx)", rc);
  uint16_t nrx = pc.rx_desc, ntx = pc.tx_desc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx); rc != 0)
    return fail("adjusting descriptor counts", rc);
  const unsigned socket = unsigned(plan.port_socket[i]);
  rte_mempool* pool = pools[size_t(plan.port_pool[i])];
  for (uint16_t q = 0; q < nb_rx; ++q)
    if (int rc = rte_eth_rx_queue_setup(pid, q, nrx, socket, nullptr, pool); rc != 0)
      return fail("setting up RX queue " + std::to_string(q), rc);
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  for (uint16_t q = 0; q < pc.tx_queues; ++q)
    if (int rc = rte_eth_tx_queue_setup(pid, q, ntx, socket, &txconf); rc != 0)
      return fail("setting up TX queue " + std::to_string(q), rc);
  if (pc.promiscuous) {
    int rc = rte_eth_promiscuous_enable(pid);
    if (rc != 0 && rc != -ENOTSUP) return fail("enabling promiscuous mode", rc);
  }
  if (int rc = rte_eth_dev_start(pid); rc != 0) return fail("rte_eth_dev_start", rc);
  port_started[i] = true;
  return true;
}

// Creates `rules` on the device (validated first), into `out`. On failure
// destroys what it created and returns why.
std::string Dataplane::Impl::create_rules(HwPort& hp, const RssConfig& rss, const std::vector<FlowRule>& rules,
                                          uint16_t queues, std::map<std::string, std::vector<rte_flow*>>* out,
                                          std::string* failed_rule) {
  for (const FlowRule& r : rules) {
    auto specs = translate_rule(r, rss, queues);
    std::vector<rte_flow*>& made = (*out)[r.name];
    for (const auto& spec : specs) {
      rte_flow_error e{};
      int rc = hp.dev->flow_validate(*spec, &e);
      std::string why = rc != 0 ? flow_error_text("rte_flow_validate", e, rc) : "";
      if (why.empty()) {
        e = rte_flow_error{};
        if (rte_flow* f = hp.dev->flow_create(*spec, &e))
          made.push_back(f);
        else
          why = flow_error_text("rte_flow_create", e, -rte_errno);
      }
      if (!why.empty()) {
        if (failed_rule) *failed_rule = r.name;
        destroy_rules(hp, *out);
        return "rule " + r.name + ": " + why;
      }
    }
  }
  return "";
}

void Dataplane::Impl::destroy_rules(HwPort& hp, std::map<std::string, std::vector<rte_flow*>>& flows) {
  for (auto& [name, fs] : flows)
    for (rte_flow* f : fs) {
      rte_flow_error e{};
      (void)hp.dev->flow_destroy(f, &e);
    }
  flows.clear();
}

// The steering state on a started hardware port: key and hash types, RETA in
// the device's size, rules. Empty when the device took all of it; otherwise
// why not (rules it created are destroyed again).
std::string Dataplane::Impl::start_hardware(size_t i) {
  HwPort& hp = *hw[i];
  const SteeringConfig& sc = *d.ports[i].steering;
  hp.cfg = sc;
  if (int rc = hp.dev->rss_hash_update(sc.rss.key, rss_hf(sc.rss.types) & hp.caps.rss_offloads); rc != 0)
    return "rte_eth_dev_rss_hash_update refused the key and hash types (" + errno_text(rc) + ")";
  auto reta = reta_entries(sc.rss.reta, hp.caps.reta_size);
  if (int rc = hp.dev->reta_update(reta, hp.caps.reta_size); rc != 0)
    return "rte_eth_dev_rss_reta_update refused a " + std::to_string(hp.caps.reta_size) + "-entry RETA (" +
           errno_text(rc) + ")";
  return create_rules(hp, sc.rss, sc.flows, d.ports[i].rx_queues, &hp.flows, nullptr);
}

std::vector<ConfigError> Dataplane::Impl::setup_ports() {
  std::vector<ConfigError> errs;
  port_started.assign(d.ports.size(), false);
  for (size_t i = 0; i < d.ports.size(); ++i) {
    if (!configure_port(i, errs)) return errs;
    if (!hw[i]) continue;
    const std::string why = start_hardware(i);
    if (why.empty()) {
      ports[i].backend_reason = "the device took the RSS key, hash types, RETA and " +
                                std::to_string(d.ports[i].steering->flows.size()) + " rules";
      continue;
    }
    const auto& pc = d.ports[i];
    const std::string idx = "ports[" + std::to_string(i) + "]";
    if (pc.steering->mode == SteeringMode::Hardware) {
      errs.push_back({idx + ".steering.mode", "port " + pc.name + " (" + ports[i].caps.driver +
                                                  ") cannot steer in hardware: " + why +
                                                  "; use mode: auto or software"});
      return errs;
    }
    // auto: the device refused at start what its capabilities promised; steer in software.
    (void)rte_eth_dev_stop(ports[i].port_id);
    port_started[i] = false;
    hw[i].reset();
    ports[i].backend = SteeringMode::Software;
    ports[i].backend_reason = why;
    if (!dispatched[i]) {
      errs.push_back({idx + ".steering", "port " + pc.name + " steers in software (" + why +
                                             ") and needs a dispatcher lcore: add {lcore: N, dispatch: [" + pc.name +
                                             ":0]} to lcores"});
      return errs;
    }
    device_rx_queues[i] = dispatched[i];
    if (!configure_port(i, errs)) return errs;
  }
  return errs;
}

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
      s.tx_ring = soft[out] ? soft[out]->tx_ring : nullptr;
      s.delay_cycles = uint64_t(lc.test_delay_us) * rte_get_tsc_hz() / 1000000;
      if (soft[q.port]) {  // a logical queue: one ring from each dispatcher
        for (auto& ds : soft[q.port]->dispatch) {
          RxStep r = s;
          r.ring = ds->rings[q.queue];
          r.done = ds->done[q.queue];
          wp->steps.push_back(r);
          w->polled.push_back(q);
          w->via.push_back(ds->dev_queue);
        }
      } else {
        if (hw[q.port]) {
          s.hw = &hw[q.port]->shared;
          w->hw_locals.push_back(std::make_unique<HwLocal>());
          w->hw_locals.back()->park.assign(kHwHoldBudget, nullptr);
          s.hwl = w->hw_locals.back().get();
          auto& pollers = hw[q.port]->pollers;
          if (std::find(pollers.begin(), pollers.end(), w.get()) == pollers.end()) pollers.push_back(w.get());
        }
        wp->steps.push_back(s);
        w->polled.push_back(q);
        w->via.push_back(-1);
      }
    }
    w->queues = std::make_unique<QueueCounters[]>(wp->steps.size());
    for (size_t j = 0; j < wp->steps.size(); ++j) wp->steps[j].counters = &w->queues[j];
    w->plan.store(wp.get(), std::memory_order_release);
    w->owned_plan = std::move(wp);
    workers.push_back(std::move(w));
  }
}

void Dataplane::Impl::release() {
  for (auto& hp : hw)
    if (hp) destroy_rules(*hp, hp->flows);
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
  for (auto& sp : soft) {
    if (!sp) continue;
    for (auto& ds : sp->dispatch) {
      for (size_t k = 0; k < ds->hold_n; ++k) rte_pktmbuf_free(ds->hold[k].m);
      for (rte_ring* r : ds->rings) {
        void* obj;
        while (rte_ring_sc_dequeue(r, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
        rte_ring_free(r);
      }
    }
  }
  for (auto& sp : soft)
    if (sp && sp->tx_ring) {
      void* obj;
      while (rte_ring_sc_dequeue(sp->tx_ring, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
      rte_ring_free(sp->tx_ring);
    }
  soft.clear();
  hw.clear();
  dispatched.clear();
  dispatchers.clear();
  audits.clear();
  device_rx_queues.clear();
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

void Dataplane::set_steering_device_factory(SteeringDeviceFactory f) {
  impl_->device_factory = std::move(f);
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
    m.release();
    return errs;
  };
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
  for (auto& dl : m.dispatchers) rte_eal_wait_lcore(dl->lcore);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (auto& sp : m.soft) {
    if (!sp) continue;
    for (auto& ds : sp->dispatch)
      for (rte_ring* r : ds->rings)
        while (rte_ring_count(r) && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  for (auto& w : m.workers) w->stop.store(true, std::memory_order_release);
  for (auto& w : m.workers) rte_eal_wait_lcore(w->lcore);
  // TX hand-back: the dispatchers are gone; transmit what the workers queued
  // last from here (queue 0 has no other user now).
  for (auto& sp : m.soft)
    if (sp && sp->tx_ring)
      while (rte_ring_count(sp->tx_ring)) transmit_handback(*sp->dispatch[0], m.d.dataplane.tx_retries);
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

std::optional<SteeringConfig> Dataplane::steering(const std::string& port) const {
  const Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.change_mutex);
  for (size_t i = 0; i < m.d.ports.size(); ++i)
    if (m.d.ports[i].name == port) {
      if (i < m.soft.size() && m.soft[i]) return m.soft[i]->cfg;
      if (i < m.hw.size() && m.hw[i]) return m.hw[i]->cfg;
      return m.d.ports[i].steering;
    }
  return std::nullopt;
}

uint64_t Dataplane::generation(const std::string& port) const {
  const Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.change_mutex);
  for (const auto& p : m.ports)
    if (p.name == port) return p.generation;
  return 0;
}

std::vector<Dataplane::Link> Dataplane::links() const {
  std::vector<Link> out;
  for (const auto& p : impl_->ports) {
    rte_eth_link l{};
    Link x;
    if (rte_eth_link_get_nowait(p.port_id, &l) == 0) {
      x.up = l.link_status == RTE_ETH_LINK_UP;
      x.speed_mbps = l.link_speed;
    }
    out.push_back(x);
  }
  return out;
}

std::vector<ChangeReport> Dataplane::change_reports() const {
  std::lock_guard<std::mutex> lock(impl_->change_mutex);
  return {impl_->reports.begin(), impl_->reports.end()};
}

// Unpublishes a drain and frees it once every worker polling the port has
// finished the loop iteration that may still read it.
void Dataplane::Impl::retire_drain(HwPort& hp, std::unique_ptr<HwDrain> dr) {
  if (!dr) return;
  hp.shared.drain.store(nullptr, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (Worker* w : hp.pollers) {
    const uint64_t seen = w->quiescent.load(std::memory_order_acquire);
    while (w->quiescent.load(std::memory_order_acquire) == seen) {
      if (std::chrono::steady_clock::now() > deadline) {
        (void)dr.release();  // a worker that stopped polling may still hold it: keep it
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(10));
    }
  }
}

// A validated change on a hardware-steered port. Gainers start parking moved
// flows first; then the device calls, in the order that leaves the least to
// undo (new rules, key and hash types, RETA, old rules removed), each undone
// in reverse if a later one fails; then the losers' fences and the gainers'
// release.
std::vector<ConfigError> Dataplane::Impl::change_hardware(size_t i, const SteeringConfig& next, const SteeringChange& c,
                                                          ChangeReport& rep, bool global,
                                                          const std::vector<uint8_t>& loser,
                                                          const std::vector<uint8_t>& gainer) {
  HwPort& hp = *hw[i];
  const std::string& port = d.ports[i].name;
  const uint16_t nq = d.ports[i].rx_queues;
  const uint64_t gen = hp.generation + 1;
  const uint64_t hz = rte_get_tsc_hz();

  std::unique_ptr<HwDrain> dr;
  if (next.drain && rep.buckets_moved) {
    dr = std::make_unique<HwDrain>();
    dr->generation = gen;
    dr->loser = loser;
    dr->gainer = gainer;
    for (uint16_t q = 0; q < nq; ++q)
      if (loser[q]) dr->losers.push_back(q);
    if (!global) {
      dr->moved_from.assign(next.rss.reta.size(), HwDrain::kStayed);
      for (size_t b = 0; b < next.rss.reta.size(); ++b)
        if (next.rss.reta[b] != hp.cfg.rss.reta[b]) dr->moved_from[b] = hp.cfg.rss.reta[b];
    }
    dr->old_table = std::make_unique<SteeringTable>(hp.cfg);
    dr->timeout_cycles = uint64_t(next.drain_timeout_ms) * hz / 1000;
    hp.shared.drain.store(dr.get(), std::memory_order_release);
    // Every gainer must be parking before the device moves a flow to it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (uint16_t q = 0; q < nq; ++q)
      while (gainer[q] && hp.shared.q[q].seen.load(std::memory_order_acquire) != gen) {
        if (std::chrono::steady_clock::now() > deadline) {
          retire_drain(hp, std::move(dr));
          return {{"port",
                   "the worker polling " + port + ":" + std::to_string(q) + " did not take the change within 2 s",
                   ErrorKind::Unavailable}};
        }
        std::this_thread::sleep_for(std::chrono::microseconds(10));
      }
  }

  // What the device must do.
  std::vector<FlowRule> to_create;
  std::vector<std::string> to_destroy = c.remove;
  for (const FlowRule& r : c.add) {
    auto it =
        std::find_if(hp.cfg.flows.begin(), hp.cfg.flows.end(), [&](const FlowRule& x) { return x.name == r.name; });
    const bool removed = std::find(c.remove.begin(), c.remove.end(), r.name) != c.remove.end();
    if (it != hp.cfg.flows.end() && *it == r && !removed) continue;  // already so
    to_create.push_back(r);
    if (it != hp.cfg.flows.end() && !removed) to_destroy.push_back(r.name);
  }
  const bool hash_changed = next.rss.key != hp.cfg.rss.key || next.rss.types != hp.cfg.rss.types;
  const bool reta_changed = next.rss.reta != hp.cfg.rss.reta;

  const uint64_t t0 = rte_rdtsc();
  std::map<std::string, std::vector<rte_flow*>> created;
  std::string why = create_rules(hp, next.rss, to_create, nq, &created, nullptr);
  bool hashed = false, reta_set = false;
  if (why.empty() && hash_changed) {
    if (int rc = hp.dev->rss_hash_update(next.rss.key, rss_hf(next.rss.types) & hp.caps.rss_offloads); rc != 0)
      why = "rte_eth_dev_rss_hash_update refused the key and hash types (" + errno_text(rc) + ")";
    else
      hashed = true;
  }
  if (why.empty() && reta_changed) {
    auto reta = reta_entries(next.rss.reta, hp.caps.reta_size);
    if (int rc = hp.dev->reta_update(reta, hp.caps.reta_size); rc != 0)
      why = "rte_eth_dev_rss_reta_update refused the RETA (" + errno_text(rc) + ")";
    else
      reta_set = true;
  }
  std::vector<FlowRule> destroyed;  // old rules already taken off the device
  if (why.empty())
    for (const std::string& name : to_destroy) {
      auto fs = hp.flows.find(name);
      if (fs == hp.flows.end()) continue;
      for (auto f = fs->second.begin(); f != fs->second.end();) {
        rte_flow_error e{};
        if (int rc = hp.dev->flow_destroy(*f, &e); rc != 0) {
          why = "rule " + name + ": " + flow_error_text("rte_flow_destroy", e, rc);
          break;
        }
        f = fs->second.erase(f);
      }
      if (!why.empty()) break;
      destroyed.push_back(
          *std::find_if(hp.cfg.flows.begin(), hp.cfg.flows.end(), [&](const FlowRule& x) { return x.name == name; }));
      hp.flows.erase(fs);
    }
  std::string undo_failed;
  if (!why.empty()) {  // back to the previous generation, in reverse
    std::map<std::string, std::vector<rte_flow*>> again;
    for (const FlowRule& r : destroyed) {
      std::string e = create_rules(hp, hp.cfg.rss, {r}, nq, &again, nullptr);
      if (!e.empty()) undo_failed += "; re-creating " + e;
      for (auto& [name, fs] : again) hp.flows[name] = fs;
      again.clear();
    }
    if (reta_set) {
      auto reta = reta_entries(hp.cfg.rss.reta, hp.caps.reta_size);
      if (int rc = hp.dev->reta_update(reta, hp.caps.reta_size); rc != 0)
        undo_failed += "; restoring the RETA failed (" + errno_text(rc) + ")";
    }
    if (hashed)
      if (int rc = hp.dev->rss_hash_update(hp.cfg.rss.key, rss_hf(hp.cfg.rss.types) & hp.caps.rss_offloads); rc != 0)
        undo_failed += "; restoring the key failed (" + errno_text(rc) + ")";
    destroy_rules(hp, created);
  }
  const uint64_t t1 = rte_rdtsc();

  if (dr) {  // the losers' fences start now; the gainers release once all are crossed
    dr->applied_tsc.store(t1, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(next.drain_timeout_ms + 2000);
    uint64_t released_max = t1;
    for (uint16_t q = 0; q < nq; ++q) {
      if (!gainer[q]) continue;
      HwQueue& hq = hp.shared.q[q];
      while (hq.released.load(std::memory_order_acquire) != gen && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(10));
      if (hq.released.load(std::memory_order_acquire) != gen) {
        ++rep.timeouts;  // its lcore stopped polling; retire_drain keeps what it may still read
        continue;
      }
      if (int64_t(hq.released_tsc - released_max) > 0) released_max = hq.released_tsc;
      rep.held += hq.held;
      rep.longest_hold_us = std::max(rep.longest_hold_us, double(hq.hold_cycles) * 1e6 / double(hz));
      rep.timeouts += hq.timed_out;
    }
    rep.drain_us = std::max(0.0, double(int64_t(released_max - t1)) * 1e6 / double(hz));
    retire_drain(hp, std::move(dr));
  }
  if (!why.empty())
    return {{"port", "port " + port + ": " + why +
                         (undo_failed.empty()
                              ? "; rolled back, the port stays at generation " + std::to_string(hp.generation)
                              : "; rolling back failed too" + undo_failed + ": the device may differ from generation " +
                                    std::to_string(hp.generation))}};
  for (auto& [name, fs] : created) hp.flows[name] = fs;
  rep.apply_us = double(t1 - t0) * 1e6 / double(hz);
  rep.drained = rep.buckets_moved > 0 && next.drain;
  rep.generation = gen;
  hp.cfg = next;
  hp.generation = gen;
  return {};
}

std::vector<ConfigError> Dataplane::change_steering(const std::string& port, const SteeringChange& c,
                                                    ChangeReport* report) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.change_mutex);
  size_t i = 0;
  while (i < m.d.ports.size() && m.d.ports[i].name != port) ++i;
  if (i == m.d.ports.size()) return {{"port", "no port named \"" + port + "\"", ErrorKind::NotFound}};
  if (!m.running) return {{"port", "the dataplane is not running", ErrorKind::Unavailable}};
  Impl::SoftPort* soft = i < m.soft.size() ? m.soft[i].get() : nullptr;
  Impl::HwPort* hwp = i < m.hw.size() ? m.hw[i].get() : nullptr;
  if (!soft && !hwp)
    return {
        {"port", "port " + port + " has no steering; add steering: to it in the deployment", ErrorKind::Precondition}};
  const SteeringConfig& cur = soft ? soft->cfg : hwp->cfg;
  const uint64_t cur_gen = soft ? soft->generation : hwp->generation;
  if (c.expected_generation && *c.expected_generation != cur_gen)
    return {{"expected_generation",
             "the port is at generation " + std::to_string(cur_gen) + ", not " +
                 std::to_string(*c.expected_generation) + "; re-read and retry",
             ErrorKind::Precondition}};

  // The whole new state, validated before anything is touched.
  SteeringConfig next = cur;
  if (c.key) next.rss.key = *c.key;
  if (c.types) next.rss.types = *c.types;
  if (c.reta) next.rss.reta = *c.reta;
  for (const auto& name : c.remove) {
    auto it = std::find_if(next.flows.begin(), next.flows.end(), [&](const FlowRule& r) { return r.name == name; });
    if (it == next.flows.end())
      return {{"remove", "no rule named \"" + name + "\" on port " + port, ErrorKind::NotFound}};
    next.flows.erase(it);
  }
  for (const auto& r : c.add) {
    auto it = std::find_if(next.flows.begin(), next.flows.end(), [&](const FlowRule& x) { return x.name == r.name; });
    if (it != next.flows.end())
      *it = r;
    else
      next.flows.push_back(r);
  }
  if (c.types && (*c.types == 0 || (*c.types & ~uint32_t(kRssAll))))
    return {{"types", "no known hash type selected; use ipv4, ipv4-tcp, ipv4-udp, ipv6, ipv6-tcp, ipv6-udp"}};
  if (auto errs = validate_steering(next, m.d.ports[i].rx_queues, "steering"); !errs.empty()) return errs;
  if (hwp) {  // and against what the device takes, new rules through rte_flow_validate
    const HwCaps& hc = hwp->caps;
    if (hc.key_size && next.rss.key.size() != hc.key_size)
      return {{"steering.rss.key", "port " + port + " (" + hc.driver + ") takes a " + std::to_string(hc.key_size) +
                                       "-byte RSS key, not " + std::to_string(next.rss.key.size())}};
    if (uint64_t missing = rss_hf_required(next.rss.types) & ~hc.rss_offloads; missing)
      return {{"steering.rss.types", "port " + port + " (" + hc.driver +
                                         ") cannot hash every type asked for (RTE_ETH_RSS_* bits 0x" +
                                         hex_u64(missing) + " missing); drop those types"}};
    if (hc.reta_size % next.rss.reta.size() != 0)
      return {{"steering.rss.reta", "port " + port + "'s RETA has " + std::to_string(hc.reta_size) + " entries; give " +
                                        std::to_string(hc.reta_size) + " or a power of two below it, not " +
                                        std::to_string(next.rss.reta.size())}};
    for (const FlowRule& r : c.add) {
      const size_t j = size_t(
          std::find_if(next.flows.begin(), next.flows.end(), [&](const FlowRule& x) { return x.name == r.name; }) -
          next.flows.begin());
      for (const auto& spec : translate_rule(r, next.rss, m.d.ports[i].rx_queues)) {
        rte_flow_error e{};
        if (int rc = hwp->dev->flow_validate(*spec, &e); rc != 0)
          return {{"steering.flows[" + std::to_string(j) + "]",
                   "rule " + r.name + ": " + flow_error_text("rte_flow_validate", e, rc) +
                       "; change the match or steer this port in software"}};
      }
    }
  }

  // What moves: RETA buckets that change queue; a key, hash-type or rule change
  // can move any flow, so every queue may lose (one global fence).
  ChangeReport rep;
  rep.id = m.next_change_id++;
  rep.port = port;
  const uint16_t nq = m.d.ports[i].rx_queues;
  std::vector<uint8_t> loser(nq, 0), gainer(nq, 0);
  const bool global = next.rss.key != cur.rss.key || next.rss.types != cur.rss.types ||
                      next.rss.reta.size() != cur.rss.reta.size() || !c.add.empty() || !c.remove.empty();
  if (global) {
    rep.buckets_moved = uint32_t(next.rss.reta.size());
    std::fill(loser.begin(), loser.end(), 1);
    std::fill(gainer.begin(), gainer.end(), 1);
  } else {
    for (size_t b = 0; b < next.rss.reta.size(); ++b)
      if (next.rss.reta[b] != cur.rss.reta[b]) {
        ++rep.buckets_moved;
        loser[cur.rss.reta[b]] = 1;
        gainer[next.rss.reta[b]] = 1;
      }
  }
  for (uint16_t q = 0; q < nq; ++q) {
    if (loser[q]) rep.losers.push_back(q);
    if (gainer[q]) rep.gainers.push_back(q);
  }

  if (c.dry_run) {
    rep.id = 0;
    --m.next_change_id;
    rep.generation = cur_gen;
    rep.drained = next.drain && rep.buckets_moved > 0;
    if (report) *report = rep;
    return {};
  }
  if (hwp) {
    auto errs = m.change_hardware(i, next, c, rep, global, loser, gainer);
    if (!errs.empty()) return errs;
    m.ports[i].generation = rep.generation;
    m.reports.push_back(rep);
    if (m.reports.size() > 64) m.reports.pop_front();
    if (report) *report = rep;
    return {};
  }
  Impl::SoftPort& sp = *soft;
  auto snap = m.make_snapshot(next, sp.generation + 1);
  snap->loser = loser;
  snap->drain = next.drain && rep.buckets_moved > 0;
  rep.drained = snap->drain;
  const uint64_t gen = snap->generation;
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t t0 = rte_rdtsc();
  sp.current.store(snap.get(), std::memory_order_release);

  // Wait for every dispatcher to adopt it and finish its drain; they bound the
  // drain by the timeout, this bounds a dispatcher that stopped polling.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(next.drain_timeout_ms + 2000);
  uint64_t adopted_max = t0, drained_max = t0;
  for (auto& ds : sp.dispatch) {
    while (ds->drained_generation.load(std::memory_order_acquire) != gen) {
      if (std::chrono::steady_clock::now() > deadline) {
        // Cannot happen while dispatchers run; the old snapshot may still be read, so it is kept.
        sp.live.release();
        sp.live = std::move(snap);
        return {{"port", "dispatcher lcore " + std::to_string(ds->lcore) + " did not take the change within " +
                             std::to_string(next.drain_timeout_ms + 2000) + " ms"}};
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
  // No dispatcher reads the previous snapshot any more: free it.
  sp.live = std::move(snap);
  sp.cfg = next;
  sp.generation = gen;
  m.ports[i].generation = gen;
  rep.generation = gen;
  m.reports.push_back(rep);
  if (m.reports.size() > 64) m.reports.pop_front();
  if (report) *report = rep;
  return {};
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
    l.read(w->counters);
    for (size_t j = 0; j < w->polled.size(); ++j) {
      StatsSnapshot::Queue q;
      q.port = m.d.ports[w->polled[j].port].name;
      q.queue = w->polled[j].queue;
      q.lcore = w->lcore;
      q.via_dispatch = w->via[j];
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
  for (const auto& sp : m.soft) {
    if (!sp) continue;
    for (const auto& ds : sp->dispatch) {
      StatsSnapshot::Dispatcher x;
      x.port = ds->port_name;
      x.queue = ds->dev_queue;
      x.lcore = ds->lcore;
      x.read(ds->counters);
      s.dispatchers.push_back(x);
    }
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
