// The worker loop: poll each step's queue, run its pipeline, count, and back
// off when idle (adaptive poll).
#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <ctime>

#include "../guard/device_guard.h"
#include "pipeline.h"

namespace steer {
namespace {

constexpr unsigned kSpinBeforePause = 64;
constexpr unsigned kPauseBeforeSleep = 1024;

// One RX burst through its pipeline. Cycle accounting is the caller's: one
// TSC read per non-empty burst is all the loop can afford.
inline unsigned run_step(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts) {
  if (s.hw) {
    const HwDrain* dr = s.hw->drain.get();
    if (unlikely(dr || s.hwl->parked)) return run_hw_drain_step(s, plan, pkts, dr);
  }
  QueueCounters& c = *s.counters;
  if (unlikely(s.queue >= backed(s.rx_backed))) return 0;  // no ring behind it: never polled
  const uint16_t n =
      s.ring ? uint16_t(rte_ring_sc_dequeue_burst(s.ring, reinterpret_cast<void**>(pkts), plan.burst, nullptr))
             : rte_eth_rx_burst(s.port_id, s.queue, pkts, plan.burst);
  c.burst_hist[burst_bucket(n)].add(1);
  if (n == 0) {
    c.empty_polls.add(1);
    return 0;
  }
  c.rx.add(n);
  tsan::acquire_all(pkts, n);
  process(s, plan, pkts, n);
  if (unlikely(s.delay_cycles)) slow_down(s.delay_cycles);
  if (s.done) s.done->done.store(s.done->done.load(std::memory_order_relaxed) + n, std::memory_order_release);
  return n;
}

}  // namespace

// Adaptive poll: spin, then pause, then sleep with a growing interval, so idle
// workers give the CPU back on an oversubscribed machine.
void back_off(unsigned streak, LcoreCounters& lc) {
  if (streak < kSpinBeforePause) return;
  if (streak < kPauseBeforeSleep) {
    rte_pause();
    return;
  }
  unsigned step = (streak - kPauseBeforeSleep) / 256;
  long us = step >= 6 ? 100 : (1L << step) + 4;
  timespec ts{0, us * 1000};
  // Asleep, this lcore holds nothing from a device: a teardown need not wait.
  const unsigned self = rte_lcore_id();
  device_guard::offline(self);
  nanosleep(&ts, nullptr);
  device_guard::online(self);
  lc.sleeps.add(1);
}

int worker_main(void* arg) {
  Worker& w = *static_cast<Worker*>(arg);
  tsan::acquire(&w);  // what the launching thread set up (rte_eal_remote_launch)
  rte_mbuf* pkts[kMaxBurst];
  unsigned idle_streak = 0;
  uint64_t prev = rte_rdtsc();  // end of the previous iteration
  uint64_t iteration = 0;
  device_guard::online(w.lcore);
  while (!w.stop.load(std::memory_order_acquire)) {
    const WorkerPlan& plan = *w.plan.get();
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
    device_guard::quiescent(w.lcore);
    if (unlikely(w.stall_at) && rte_rdtsc() >= w.stall_at) {  // tests only: a stuck lcore
      const uint64_t until = rte_rdtsc() + w.stall_cycles;
      device_guard::offline(w.lcore);
      while (rte_rdtsc() < until && !w.stop.load(std::memory_order_acquire)) rte_pause();
      device_guard::online(w.lcore);
      w.stall_at = 0;
    }
  }
  // Stopping: let go of anything parked by a drain.
  const WorkerPlan& plan = *w.plan.get();
  for (const RxStep& s : plan.steps)
    if (s.hwl && s.hwl->parked) hw_release(s, plan, rte_rdtsc(), false);
  device_guard::offline(w.lcore);
  tsan::release(&w);  // to the thread that joins (rte_eal_wait_lcore)
  return 0;
}

}  // namespace steer
