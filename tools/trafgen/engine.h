// steer-trafgen's engine on DPDK: the Generator builds evidence-carrying
// frames, the Receiver checks what comes back, and run() drives both on
// worker lcores against configured ports. Needs an initialised EAL.
#pragma once

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "checker.h"
#include "flows.h"
#include "histogram.h"
#include "pacer.h"
#include "report.h"

namespace steer::trafgen {

// Builds frames round-robin over the flows of one TX queue (flow f goes to
// queue f % queues, so each flow keeps one path and its order). One writer.
class Generator {
 public:
  Generator(std::vector<FlowTuple> flows, std::vector<uint16_t> sizes, const uint8_t src_mac[6],
            const uint8_t dst_mac[6], uint16_t queues);

  // Fills n mbufs (allocated by the caller) with the next frames of queue q,
  // stamped with TX time `tsc`. Sequence numbers are taken here: callers must
  // send what they fill (retrying) so that a gap always means loss.
  void fill(rte_mbuf** pkts, unsigned n, uint16_t q, uint64_t tsc);

  uint16_t queues() const { return queues_; }
  uint32_t flows() const { return uint32_t(flows_.size()); }
  const std::vector<uint32_t>& sent_per_flow() const { return next_seq_; }
  uint64_t bytes() const { return bytes_; }

 private:
  std::vector<FlowTuple> flows_;
  std::vector<uint16_t> sizes_;
  uint16_t queues_;
  static constexpr size_t kStride = 128;  // bytes per template slot (largest header is 74)
  std::vector<uint8_t> templates_;        // [(flow * sizes + s) * kStride]: header bytes, flat
  uint16_t hdr_len_ = 0;                  // when every flow has the same header length, else 0
  std::vector<uint32_t> next_seq_;
  std::vector<uint32_t> cursor_;  // per queue: index among that queue's flows
  size_t size_cursor_ = 0;
  uint64_t bytes_ = 0;
};

// Parses the evidence of received frames and accounts order, loss, latency
// and the spread over RX queues. One writer; frees nothing.
class Receiver {
 public:
  Receiver(uint32_t flows, uint16_t queues, uint64_t tsc_hz);
  void on_burst(rte_mbuf* const* pkts, unsigned n, uint16_t q, uint64_t now_tsc);

  const Checker& checker() const { return checker_; }
  const Histogram& latency() const { return latency_; }
  uint64_t foreign() const { return foreign_; }
  uint64_t bytes() const { return bytes_; }
  std::vector<QueueShare> queue_shares() const;

 private:
  Checker checker_;
  Histogram latency_;
  double ns_per_tsc_;
  uint64_t foreign_ = 0, bytes_ = 0;
  std::vector<uint64_t> queue_packets_;
  std::vector<std::vector<uint8_t>> queue_flow_seen_;
};

struct Options {
  uint16_t tx_port = 0, rx_port = 0;
  uint16_t queues = 1;
  uint16_t burst = 32;
  uint16_t rx_desc = 1024, tx_desc = 1024;
  std::vector<FlowTuple> flows;
  bool imix = false;
  uint16_t size = 64;
  double rate_pps = 0;    // 0: as fast as possible
  double duration_s = 0;  // 0: until count
  uint64_t count = 0;     // 0: until duration
  double burst_every_ms = 0, burst_len_ms = 0, burst_x = 1;
  bool rx = true;             // false: send only (no checker)
  unsigned drain_ms = 500;    // after the last TX, wait this long for stragglers
  double link_timeout_s = 5;  // a port whose link is not up by then fails the run
  bool progress = true;       // one line per second
  uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x10};
  const std::atomic<bool>* stop = nullptr;  // when it turns true, TX ends early (SIGINT)
};

// Configures the ports, runs TX and RX on the worker lcores (two or more: TX
// on the first, RX on the second; one: both in one loop), prints progress to
// stdout once a second, and returns the results. On a setup error returns
// false with *why set (and out->link_down when a link never came up).
bool run(const Options& o, Results* out, std::string* why);

}  // namespace steer::trafgen
