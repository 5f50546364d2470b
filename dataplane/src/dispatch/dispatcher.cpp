// The software dispatcher's loop, its hand-off to the workers' rings and its
// side of the drain protocol.
#include "dispatcher.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "../guard/device_guard.h"
#include "steer/plan.h"
#include "steer/tsan.h"

namespace steer {
namespace {

// Enqueues in order; a full ring is retried briefly (a worker is behind),
// then what is left is freed and counted: an mbuf never has two owners.
void enqueue_or_count(Dispatch& d, uint16_t q, rte_mbuf** pkts, unsigned n, bool patient) {
  tsan::release_all(pkts, n);  // to the worker, or freed
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

// Every queue's staged packets onto its ring.
void stage_out(Dispatch& d) {
  for (uint16_t q = 0; q < d.queues; ++q)
    if (d.stage_n[q]) {
      enqueue_or_count(d, q, &d.stage[size_t(q) * kMaxBurst], d.stage_n[q], false);
      d.stage_n[q] = 0;
    }
}

constexpr uint16_t kAhead = 4;  // frames are prefetched this many packets ahead of the parser

// The first kAhead frames of a burst, prefetched before its first chunk.
[[gnu::always_inline]] inline void prefetch_first(rte_mbuf* const* pkts, uint16_t n) {
  for (uint16_t k = 0; k < kAhead && k < n; ++k) rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void*));
}

// Reads packets [base, base + c) of a burst of n in order, calling
// parse(j, frame, length) for the j-th; meanwhile it prefetches the frame
// kAhead packets on and warms one of the next burst's mbufs per packet.
template <typename Parse>
[[gnu::always_inline]] inline void parse_chunk(Dispatch& d, rte_mbuf* const* pkts, uint16_t n, uint16_t base,
                                               uint16_t c, const NextMbufs::Burst& next, Parse&& parse) {
  for (uint16_t j = 0; j < c; ++j) {
    if (base + j + kAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[base + j + kAhead], void*));
    if (base + j < next.n) d.rx_next.warm(next.objs[base + j]);
    const rte_mbuf* m = pkts[base + j];
    parse(j, rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
  }
}

// A table with no rules and no drain: every packet goes to its RSS queue, and
// its tuple is all that is read of it, so the tuple is parsed straight from
// the frame (frame_tuple), with no PacketFields or verdicts in between.
// What it stages is what the general path would.
void steer_by_reta(Dispatch& d, rte_mbuf** pkts, uint16_t n, const NextMbufs::Burst& next, const SteeringTable& table) {
  constexpr uint16_t kChunk = Dispatch::kChunk;
  alignas(64) uint8_t tuple[kChunk][SteeringTable::kTupleStride];
  size_t len[kChunk];
  uint32_t hashes[kChunk];
  const uint32_t types = table.types();
  prefetch_first(pkts, n);
  for (uint16_t base = 0; base < n; base += kChunk) {
    const uint16_t c = std::min<uint16_t>(kChunk, uint16_t(n - base));
    parse_chunk(d, pkts, n, base, c, next, [&](uint16_t j, const uint8_t* frame, uint16_t length) {
      len[j] = frame_tuple(frame, length, types, tuple[j]);
    });
    table.hash_tuples(tuple[0], len, c, hashes);
    for (uint16_t j = 0; j < c; ++j) {
      rte_mbuf* m = pkts[base + j];
      m->hash.rss = hashes[j];
      m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
      const uint16_t q = table.reta_queue(hashes[j]);
      d.stage[size_t(q) * kMaxBurst + d.stage_n[q]++] = m;
    }
  }
}

unsigned dispatch_step(Dispatch& d, rte_mbuf** pkts) {
  const SteerSnapshot* s = d.current->get();
  uint64_t now = rte_rdtsc();
  if (s != d.active) adopt(d, s, now);
  if (d.draining) try_end_drain(d, now);
  if (unlikely(d.dev_queue >= backed(d.rx_backed))) return 0;  // no ring behind it: never polled
  const uint16_t n = rte_eth_rx_burst(d.port_id, d.dev_queue, pkts, d.burst);
  if (!n) {
    d.counters.empty_polls.add(1);
    return 0;
  }
  d.counters.rx.add(n);
  tsan::acquire_all(pkts, n);
  const NextMbufs::Burst next = d.rx_next.next(n);  // warmed one per packet parsed
  const SteeringTable& table = d.active->table;
  if (table.no_rules() && !d.draining) {
    steer_by_reta(d, pkts, n, next, table);
    stage_out(d);
    d.counters.busy_cycles.add(rte_rdtsc() - now);  // one TSC read per burst
    return n;
  }
  uint64_t marked = 0, dropped = 0, held = 0;
  // A chunk at a time: parse every packet (its headers prefetched a few
  // packets ahead), classify them together, then hand them out in order.
  // The chunk loop around parse_chunk is written out here and in
  // steer_by_reta: folded into one template, with the per-path work as
  // lambdas, it made 1,000 rules ~10 cycles a packet slower in the
  // dispatcher (BENCHMARKS.md, step 12).
  constexpr uint16_t kChunk = Dispatch::kChunk;
  PacketFields* fields = d.fields.data();
  SteerVerdict *verdicts = d.verdicts.data(), *olds = d.olds.data();
  alignas(64) uint8_t tuple[kChunk][SteeringTable::kTupleStride];
  size_t len[kChunk];
  uint32_t hashes[kChunk];
  const uint32_t types = table.types();
  prefetch_first(pkts, n);
  for (uint16_t base = 0; base < n; base += kChunk) {
    const uint16_t c = std::min<uint16_t>(kChunk, uint16_t(n - base));
    parse_chunk(d, pkts, n, base, c, next, [&](uint16_t j, const uint8_t* frame, uint16_t length) {
      len[j] = parse_fields_and_tuple(frame, length, types, fields[j], tuple[j]);
    });
    table.hash_tuples(tuple[0], len, c, hashes);
    table.classify_hashed(fields, hashes, c, verdicts);
    if (d.draining) d.prev->table.classify_burst(fields, c, olds);
    for (uint16_t j = 0; j < c; ++j) {
      rte_mbuf* m = pkts[base + j];
      const SteerVerdict& v = verdicts[j];
      m->hash.rss = v.hash;
      m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
      if (v.marked) {
        m->hash.fdir.hi = v.mark;
        m->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
        ++marked;
      }
      if (v.kind == SteerVerdict::Drop) {
        tsan::release(m);
        rte_pktmbuf_free(m);
        ++dropped;
        continue;
      }
      // d.draining may end inside this loop (the hold budget), and then the
      // old verdicts are no longer needed.
      if (d.draining && olds[j].kind == SteerVerdict::Queue && olds[j].queue != v.queue) {  // moved: park it
        if (d.hold_n == d.hold.size()) end_drain(d, now, true);  // hold budget spent: counted as a timeout
        if (d.draining) {
          if (!d.hold_n) d.first_hold = now;
          d.hold[d.hold_n++] = HeldPacket{m, v.queue};
          ++held;
          continue;
        }
      }
      d.stage[size_t(v.queue) * kMaxBurst + d.stage_n[v.queue]++] = m;
    }
  }
  stage_out(d);
  if (marked) d.counters.marked.add(marked);
  if (dropped) d.counters.rule_drops.add(dropped);
  if (held) d.counters.held.add(held);
  d.counters.busy_cycles.add(rte_rdtsc() - now);  // one TSC read per burst
  return n;
}

}  // namespace

unsigned transmit_handback(Dispatch& d, uint16_t tx_retries) {
  rte_mbuf* out[kMaxBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(d.tx_ring, reinterpret_cast<void**>(out), kMaxBurst, nullptr);
  if (!n) return 0;
  tsan::acquire_all(out, n);  // from the workers
  tsan::release_all(out, n);  // to the device, or freed
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

int dispatcher_main(void* arg) {
  DispatcherLcore& l = *static_cast<DispatcherLcore*>(arg);
  tsan::acquire(&l);  // what the launching thread set up
  rte_mbuf* pkts[kMaxBurst];
  unsigned idle_streak = 0;
  uint64_t prev = rte_rdtsc();
  device_guard::online(l.lcore);
  for (Dispatch* d : l.items) d->rx_next = NextMbufs(d->rx_pool);
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
    device_guard::quiescent(l.lcore);
  }
  // Stopping: adopt whatever is published and release anything held.
  for (Dispatch* d : l.items) {
    const uint64_t now = rte_rdtsc();
    const SteerSnapshot* s = d->current->get();
    if (s != d->active) adopt(*d, s, now);
    if (d->draining) end_drain(*d, now, false);
  }
  device_guard::offline(l.lcore);
  tsan::release(&l);  // to the thread that joins
  return 0;
}

}  // namespace steer
