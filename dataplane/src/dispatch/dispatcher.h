// A software dispatcher: an lcore that polls a device RX queue of a port the
// NIC cannot steer, classifies each packet with the published SteeringTable
// (rules, then Toeplitz + RETA; a table without rules reads only the tuple
// from each frame), and hands it to its logical queue's worker
// over an SPSC ring; and, during a change, holds moved flows until the losing
// workers have finished what they were given (the drain).
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "../published.h"
#include "../worker/worker.h"
#include "steer/counters.h"
#include "steer/steering.h"
#include "warm_mbufs.h"

namespace steer {

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

// One dispatcher: a device RX queue of a software-steered port.
struct Dispatch {
  // Fixed at start.
  uint16_t port_id = 0, dev_queue = 0, queues = 0, burst = 32;
  unsigned lcore = 0;
  std::string port_name;
  std::vector<rte_ring*> rings;                       // per logical queue
  std::vector<RingDone*> done;                        // per logical queue: the worker's progress on that ring
  const Published<SteerSnapshot>* current = nullptr;  // the port's steering, as the control side published it
  rte_ring* tx_ring = nullptr;         // TX hand-back ring this dispatcher transmits from (queue 0), or null
  const uint8_t* rx_backed = nullptr;  // live count of device queues the peer backs (peer_queues.h), or null: all
  rte_mempool* rx_pool = nullptr;      // the device queue's mbuf pool, or null (no warming)
  // Dispatcher lcore only.
  NextMbufs rx_next;  // rx_pool's next mbufs on this lcore, warmed a burst ahead (empty: no warming)
  const SteerSnapshot* active = nullptr;
  const SteerSnapshot* prev = nullptr;  // during a drain: the table flows are moving from
  std::vector<uint64_t> enq, fence;     // per logical queue
  std::vector<rte_mbuf*> stage;         // queues x kMaxBurst
  std::vector<uint16_t> stage_n;
  std::vector<HeldPacket> hold;
  // Scratch for one chunk of a burst: parsed headers, verdicts under the
  // active table and, during a drain, under the previous one.
  static constexpr uint16_t kChunk = 64;
  std::vector<PacketFields> fields;
  std::vector<SteerVerdict> verdicts, olds;
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

// The lcore entry point (rte_eal_remote_launch); arg is a DispatcherLcore.
int dispatcher_main(void* arg);

// TX hand-back: what the workers queued goes out on TX queue 0, in order.
// The dispatcher's lcore calls it; so does stop(), once the lcore is gone.
unsigned transmit_handback(Dispatch& d, uint16_t tx_retries);

}  // namespace steer
