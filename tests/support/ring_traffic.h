// Evidence-carrying traffic through a ring-backed port, for in-process tests
// and benchmarks: a thread injects 32-frame bursts of steer-trafgen frames
// into the port's RX ring (or a model NIC's wire) at a bounded rate and collects what comes out of its
// TX rings, checking order as collected (meaningful with one TX ring: that
// is the wire). finish() stops injecting and waits up to 5 s for the rest.
//
// It keeps at most kWindow frames in flight (injected, not yet collected),
// fewer than the smallest ring on the way holds (worker rings and device
// queues hold 1023 or more), so no queue can overflow however the two shared
// CPUs are scheduled: a test that demands zero loss then has the headroom
// for it, and a loss is a bug, not a descheduled thread. If the window stays
// full for kPatience (the DUT dropped what it was given), it sends anyway, so
// a real loss shows as one instead of a hang.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "checker.h"
#include "engine.h"
#include "steer/evidence.h"
#include "steer/tsan.h"

namespace steer::trafgen {

class RingTraffic {
 public:
  // Frames go into `rx`, as a ring-backed port receives them.
  RingTraffic(rte_mempool* pool, rte_ring* rx, std::vector<rte_ring*> tx, uint32_t flows, unsigned burst_every_us,
              uint64_t seed = 11)
      : RingTraffic(
            pool,
            [rx](rte_mbuf** pkts, unsigned n) {
              unsigned sent = 0;
              while (sent < n)
                sent += rte_ring_enqueue_burst(rx, reinterpret_cast<void**>(pkts + sent), n - sent, nullptr);
            },
            std::move(tx), flows, burst_every_us, seed) {}
  // Frames go to `inject` (a model NIC's wire, say), which takes ownership.
  RingTraffic(rte_mempool* pool, std::function<void(rte_mbuf**, unsigned)> inject, std::vector<rte_ring*> tx,
              uint32_t flows, unsigned burst_every_us, uint64_t seed = 11)
      : pool_(pool),
        inject_(std::move(inject)),
        tx_(std::move(tx)),
        gen_(make_flows(flows, FlowMode::Random, seed, 17, false), {64}, kSrc, kDst, 1),
        checker_(flows),
        every_us_(burst_every_us) {
    thread_ = std::thread([this] { loop(); });
  }
  ~RingTraffic() { finish(); }
  RingTraffic(const RingTraffic&) = delete;
  RingTraffic& operator=(const RingTraffic&) = delete;

  void finish() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    thread_.join();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (collected_ < injected_ && std::chrono::steady_clock::now() < deadline) {
      collect();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    collect();
  }
  // Valid after finish(); injected_live() may be read at any time.
  uint64_t injected() const { return injected_; }
  uint64_t collected() const { return collected_; }
  uint64_t injected_live() const { return injected_live_.load(); }
  const Checker& checker() const { return checker_; }

 private:
  static constexpr uint8_t kSrc[6] = {2, 0, 0, 0, 0, 1}, kDst[6] = {2, 0, 0, 0, 0, 2};
  static constexpr uint64_t kWindow = 768;
  static constexpr auto kPatience = std::chrono::milliseconds(500);

  void loop() {
    rte_mbuf* pkts[32];
    auto window_full_since = std::chrono::steady_clock::time_point{};
    while (!stop_.load()) {
      const bool full = injected_ - collected_ + 32 > kWindow;
      const auto now = std::chrono::steady_clock::now();
      if (!full)
        window_full_since = {};
      else if (window_full_since == std::chrono::steady_clock::time_point{})
        window_full_since = now;
      if (full && now - window_full_since < kPatience) {
        collect();
        std::this_thread::sleep_for(std::chrono::microseconds(every_us_));
        continue;
      }
      if (rte_pktmbuf_alloc_bulk(pool_, pkts, 32) == 0) {
        tsan::acquire_all(pkts, 32);  // freed last by an lcore
        gen_.fill(pkts, 32, 0, rte_rdtsc());
        tsan::release_all(pkts, 32);  // to the port
        inject_(pkts, 32);
        injected_ += 32;
        injected_live_.store(injected_);
      }
      collect();
      std::this_thread::sleep_for(std::chrono::microseconds(every_us_));
    }
  }
  void collect() {
    void* objs[256];
    for (rte_ring* r : tx_) {
      unsigned n;
      while ((n = rte_ring_dequeue_burst(r, objs, 256, nullptr)) > 0) {
        for (unsigned i = 0; i < n; ++i) {
          rte_mbuf* m = static_cast<rte_mbuf*>(objs[i]);
          tsan::acquire(m);  // transmitted by an lcore
          evidence::Fields ev;
          const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
          const size_t off = evidence::l4_payload_offset(d, m->data_len);
          if (off && evidence::read(d + off, ev)) checker_.on_packet(ev.flow, ev.seq);
          tsan::release(m);
          rte_pktmbuf_free(m);
        }
        collected_ += n;
      }
    }
  }

  rte_mempool* pool_;
  std::function<void(rte_mbuf**, unsigned)> inject_;
  std::vector<rte_ring*> tx_;
  Generator gen_;
  Checker checker_;
  unsigned every_us_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> injected_live_{0};
  std::thread thread_;
  uint64_t injected_ = 0, collected_ = 0;  // the traffic thread's until finish() joins it
};

}  // namespace steer::trafgen
