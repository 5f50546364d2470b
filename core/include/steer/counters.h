// Per-lcore, per-queue counters. Each block has exactly one writer (the lcore
// that owns it) and any number of readers (the control plane). The writer does
// plain relaxed load+store (no locked instruction); readers load relaxed, so a
// snapshot is never torn per counter and never stops an lcore.
#pragma once

#include <atomic>
#include <cstdint>

namespace steer {

// Burst-size histogram buckets: [0] empty polls, [1] 1, [2] 2-3, [3] 4-7, ...,
// [9] 256-511, [10] 512.
constexpr unsigned kBurstBuckets = 11;

inline unsigned burst_bucket(unsigned n) {
  if (n == 0) return 0;
  unsigned b = 1 + unsigned(31 - __builtin_clz(n));
  return b < kBurstBuckets ? b : kBurstBuckets - 1;
}

class Counter {
 public:
  // Single writer only.
  void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// One RX queue, written by the lcore polling it. dataplane: rw (owner lcore), controlplane: ro
struct alignas(64) QueueCounters {
  Counter rx;
  Counter tx;
  Counter tx_dropped;  // partial TX after the retries: freed and counted
  Counter unbacked;    // of tx_dropped: sent to a TX queue the peer has no ring behind (never handed to it)
  Counter dropped;     // pipeline drop action
  Counter reordered;   // ordering audit: sequence below the last one sent on its flow
  Counter empty_polls;
  Counter busy_cycles;     // TSC cycles spent on non-empty bursts of this queue
  Counter held;            // hardware steering: packets this queue parked during drains
  Counter drain_timeouts;  // hardware steering: drains this queue released by timeout or hold budget
  Counter burst_hist[kBurstBuckets];
};

// One worker lcore's loop. dataplane: rw (owner lcore), controlplane: ro
struct alignas(64) LcoreCounters {
  Counter loops;
  Counter idle_loops;   // loop iterations where every queue was empty
  Counter busy_cycles;  // TSC cycles of iterations that moved packets
  Counter idle_cycles;
  Counter sleeps;  // adaptive poll: times the lcore slept
};

// One software dispatcher (one device RX queue of a software-steered port).
// dataplane: rw (the dispatcher lcore), controlplane: ro
struct alignas(64) DispatchCounters {
  Counter rx;
  Counter rule_drops;  // a drop rule matched
  Counter ring_full;   // a worker ring was full: freed and counted
  Counter held;        // packets parked during drains
  Counter timeouts;    // drains that ended by timeout
  Counter marked;
  Counter empty_polls;
  Counter busy_cycles;  // TSC cycles of dispatch steps that took packets (RX, classify, hand-off)
};

}  // namespace steer
