// The pipeline a worker runs on a burst: drop, or rewrite MACs and send,
// with the ordering audit on the way out. Inline: it is the hot path of both
// the plain loop and the hardware drain.
#pragma once

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstring>

#include "../prefetch_groups.h"
#include "steer/packet.h"
#include "steer/tsan.h"
#include "worker.h"

namespace steer {

// Rewrites each packet's first bytes, its data line prefetched a group ahead.
template <class F>
inline void for_each_frame(rte_mbuf** pkts, unsigned n, F&& rewrite) {
  in_prefetch_groups(
      n, [pkts](unsigned i) { rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*)); },
      [pkts, &rewrite](unsigned i) { rewrite(pkts[i]); });
}

// Tests only (StartOptions::slow_worker_us): a worker that takes this long
// per burst, to build a backlog on a losing queue. Called after a burst's
// pipeline, never inside it.
inline void slow_down(uint64_t cycles) {
  const uint64_t until = rte_rdtsc() + cycles;
  while (rte_rdtsc() < until) rte_pause();
}

// Frees a burst. The common mbuf (one reference, direct, one segment, so
// its next is NULL by the mbuf's own invariant) goes back to its pool as it
// is, read in its first cache line only; anything else the generic way.
// rte_pktmbuf_free_bulk also reads the second line (next), and every line this
// CPU reads must be taken back by the CPU that allocates the mbuf next: on a
// software-steered port that is the dispatcher, and the transfer is on its
// hot path (BENCHMARKS.md, issue 12).
inline void free_burst(rte_mbuf** pkts, unsigned n) {
  constexpr unsigned kRun = 64;
  void* run[kRun];
  unsigned k = 0;
  rte_mempool* pool = nullptr;
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (unlikely(rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m) || m->nb_segs != 1)) {
      rte_pktmbuf_free(m);
      continue;
    }
    if (m->pool != pool || k == kRun) {
      if (k) rte_mempool_put_bulk(pool, run, k);
      pool = m->pool;
      k = 0;
    }
    run[k++] = m;
  }
  if (k) rte_mempool_put_bulk(pool, run, k);
}

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
  tsan::release_all(pkts, n);  // every one leaves this lcore below: ring, TX or free
  if (s.tx_ring) {             // one FIFO to the dispatcher keeps the order the drain fence set
    unsigned sent = rte_ring_mp_enqueue_burst(s.tx_ring, reinterpret_cast<void**>(pkts), n, nullptr);
    for (unsigned r = 0; sent < n && r < plan.tx_retries; ++r) {
      rte_pause();
      sent += rte_ring_mp_enqueue_burst(s.tx_ring, reinterpret_cast<void**>(pkts + sent), n - sent, nullptr);
    }
    if (sent < n) {
      free_burst(pkts + sent, n - sent);
      s.counters->tx_dropped.add(n - sent);
    }
    s.counters->tx.add(sent);
    return;
  }
  if (const unsigned nb = backed(s.tx_backed); unlikely(s.out_txq >= nb)) {  // no ring behind it: never handed over
    free_burst(pkts, n);
    s.counters->tx_dropped.add(n);
    if (nb) s.counters->unbacked.add(n);  // 0: the link is down, not a mismatch
    return;
  }
  uint16_t sent = rte_eth_tx_burst(s.out_port_id, s.out_txq, pkts, n);
  for (unsigned r = 0; sent < n && r < plan.tx_retries; ++r) {
    rte_pause();
    sent += rte_eth_tx_burst(s.out_port_id, s.out_txq, pkts + sent, uint16_t(n - sent));
  }
  if (sent < n) {
    free_burst(pkts + sent, unsigned(n - sent));
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
      tsan::release_all(pkts, n);
      free_burst(pkts, n);
      c.dropped.add(n);
      break;
    case Action::Echo:
      for_each_frame(pkts, n, [](rte_mbuf* m) {
        const uint16_t len = rte_pktmbuf_data_len(m);
        if (likely(len >= packet::kSwapWindow))
          packet::swap_macs16(rte_pktmbuf_mtod(m, uint8_t*));
        else if (len >= packet::kEtherHdrLen)
          packet::swap_macs(rte_pktmbuf_mtod(m, uint8_t*));
      });
      send(s, plan, pkts, n);
      break;
    case Action::Forward:
      for_each_frame(pkts, n, [&s](rte_mbuf* m) {
        if (likely(rte_pktmbuf_data_len(m) >= packet::kEtherHdrLen))
          packet::set_macs(rte_pktmbuf_mtod(m, uint8_t*), s.src_mac, s.set_dst ? s.dst_mac : nullptr);
      });
      send(s, plan, pkts, n);
      break;
  }
}

}  // namespace steer
