// The drain on a hardware queue.
//
// A gainer parks packets of flows that moved to it until every loser crossed
// its fence; a loser's fence is the backlog its device queue had once the
// device took the change (rte_eth_rx_queue_count), or, where the PMD cannot
// count, its first empty poll after that. Run to completion: what a loser
// took before crossing has been transmitted when it crosses.
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "pipeline.h"
#include "steer/change.h"
#include "steer/tsan.h"
#include "worker.h"

namespace steer {
namespace {

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
    return from != ChangePlan::kStayed && from != queue;
  }
  const PacketFields f = parse_fields(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
  const SteerVerdict v = dr.old_table->classify(f);
  return v.kind == SteerVerdict::Queue && v.queue != queue;
}
inline void hw_cross(const RxStep& s) {
  s.hwl->crossed = true;
  hw_queue(s, s.queue).crossed.store(s.hwl->gen, std::memory_order_release);
}

}  // namespace

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
  tsan::acquire_all(pkts, n);
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
  if (unlikely(s.delay_cycles)) slow_down(s.delay_cycles);
  if (l.fence_set && !l.crossed && l.taken >= l.fence) hw_cross(s);
  return n;
}

}  // namespace steer
