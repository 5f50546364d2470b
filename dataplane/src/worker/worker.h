// A worker lcore: what it polls (WorkerPlan, one RxStep per RX queue or
// software-steering ring), what it shares with the control side and the other
// lcores, and its loop. Run to completion: a packet a worker took is
// transmitted, or freed and counted, before the worker looks at the next
// burst.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "../guard/peer_queues.h"
#include "../published.h"
#include "steer/counters.h"
#include "steer/hw_steering.h"
#include "steer/model.h"
#include "steer/steering.h"

namespace steer {

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
  std::vector<uint16_t> moved_from;  // ChangePlan::kStayed where a bucket stayed
  std::unique_ptr<SteeringTable> old_table;
  uint64_t timeout_cycles = 0;
  std::atomic<uint64_t> applied_tsc{0};  // controlplane: rw (release), dataplane: ro (acquire)
};

struct HwShared {
  SteeringDevice* dev = nullptr;
  Published<HwDrain> drain;      // null outside a change
  std::unique_ptr<HwQueue[]> q;  // per device queue
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
  rte_ring* ring;            // software steering: dequeue here instead of the device
  RingDone* done;            // with ring: progress for the dispatcher's fence
  Audit* audit;              // ordering audit of the output port, or null
  uint64_t delay_cycles;     // tests only (StartOptions): spin this long per burst, a slow worker
  rte_ring* tx_ring;         // TX hand-back: enqueue here (multi-producer) instead of tx_burst
  const uint8_t* rx_backed;  // device queue: live count of queues the peer backs (peer_queues.h), or null: all
  const uint8_t* tx_backed;  // the same for out_port_id's TX queues
  HwShared* hw;              // a hardware-steered port's queue: drains happen here
  HwLocal* hwl;              // with hw: this lcore's drain state for the queue
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
  Published<WorkerPlan> plan;
  std::atomic<bool> stop{false};            // controlplane: rw, dataplane: ro
  std::atomic<uint64_t> quiescent{0};       // dataplane: rw (release) after each loop, controlplane: ro
  LcoreCounters counters;                   // dataplane: rw (this lcore), controlplane: ro
  std::unique_ptr<QueueCounters[]> queues;  // one per step, same order
  std::vector<std::unique_ptr<HwLocal>> hw_locals;
  std::vector<QueueId> polled;              // for stats labels
  std::vector<int> via;                     // per step: the dispatcher's device queue feeding its ring, or -1
  uint64_t stall_at = 0, stall_cycles = 0;  // tests only (StartOptions::stall_worker_ms): TSC, length
};

// The lcore entry point (rte_eal_remote_launch); arg is a Worker.
int worker_main(void* arg);

// Adaptive poll: spin, then pause, then sleep with a growing interval, so idle
// lcores give the CPU back on an oversubscribed machine.
void back_off(unsigned streak, LcoreCounters& lc);

// The hardware drain on one queue (hw_drain.cpp): one burst while a drain is
// published or packets are still parked; and letting go of what is parked.
unsigned run_hw_drain_step(const RxStep& s, const WorkerPlan& plan, rte_mbuf** pkts, const HwDrain* dr);
void hw_release(const RxStep& s, const WorkerPlan& plan, uint64_t now, bool timed_out);

}  // namespace steer
