// The hand-off floor (issue 12): what it costs on this machine to receive a
// packet on one CPU and give it to another, with no classification at all.
// A loop on lcore 1 (CPU 1) receives from the same net_pcap capture the
// dispatcher cases use and puts every burst on two rings, even packets on
// one and odd on the other, without reading a packet; a loop on lcore 2
// (CPU 0) takes them off and frees them as steerd's workers do (free_burst).
// Everything else is what steerd's dispatcher does around its
// classification: the same mempool (size, cache), descriptor count, ring
// size and flags, one TSC read per burst from before the device's RX to
// after the last enqueue, and the next burst's mbufs warmed for writing.
//
// dispatcher - floor is then what steering adds beyond moving the packet,
// and floor - pmd is what moving it costs: the mbuf's first cache line goes
// to the worker's CPU to be freed and comes back when the device takes it
// again, and on a VM whose two vCPUs are far apart that alone can exceed the
// issue's 40-cycle goal.
#include "handoff_floor.h"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "../../dataplane/src/dispatch/warm_mbufs.h"
#include "../../dataplane/src/worker/pipeline.h"

namespace steer::bench {
namespace {

constexpr uint16_t kBurst = 32;

struct Floor {
  uint16_t port = 0;
  rte_mempool* pool = nullptr;
  rte_ring* rings[2] = {nullptr, nullptr};
  std::atomic<bool> stop{false};
  // Written by the loop on lcore 1 after each burst, read once at each end
  // of the measured window.
  std::atomic<uint64_t> rx{0}, cycles{0}, ring_full{0};
};

int mover(void* arg) {
  Floor& f = *static_cast<Floor*>(arg);
  rte_mbuf* pkts[kBurst];
  rte_mbuf* stage[2][kBurst];
  const NextMbufs warming(f.pool);
  uint64_t rx = 0, cycles = 0, full = 0;
  while (!f.stop.load(std::memory_order_relaxed)) {
    const uint64_t t0 = rte_rdtsc();
    const uint16_t n = rte_eth_rx_burst(f.port, 0, pkts, kBurst);
    if (!n) continue;
    const NextMbufs::Burst next = warming.next(n);
    unsigned k[2] = {0, 0};
    for (uint16_t j = 0; j < n; ++j) {
      if (j < next.n) warming.warm(next.objs[j]);
      stage[j & 1][k[j & 1]++] = pkts[j];
    }
    for (unsigned q = 0; q < 2; ++q) {
      const unsigned sent = rte_ring_sp_enqueue_burst(f.rings[q], reinterpret_cast<void**>(stage[q]), k[q], nullptr);
      if (sent < k[q]) {
        free_burst(stage[q] + sent, k[q] - sent);
        full += k[q] - sent;
      }
    }
    cycles += rte_rdtsc() - t0;
    rx += n;
    f.rx.store(rx, std::memory_order_relaxed);
    f.cycles.store(cycles, std::memory_order_relaxed);
    f.ring_full.store(full, std::memory_order_relaxed);
  }
  return 0;
}

int dropper(void* arg) {
  Floor& f = *static_cast<Floor*>(arg);
  rte_mbuf* pkts[kBurst];
  while (!f.stop.load(std::memory_order_relaxed))
    for (rte_ring* r : f.rings) {
      const unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(pkts), kBurst, nullptr);
      if (n) free_burst(pkts, n);
    }
  // Whatever is still on the rings goes back before the pool is freed.
  for (rte_ring* r : f.rings)
    while (const unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(pkts), kBurst, nullptr))
      free_burst(pkts, n);
  return 0;
}

}  // namespace

FloorResult handoff_floor(const std::string& device, unsigned mbufs, double seconds, int instance) {
  FloorResult r;
  const std::string id = "hf" + std::to_string(instance);
  auto fail = [&](const std::string& what, int rc) {
    r.error = what + " failed (" + std::to_string(rc) + ")";
    return r;
  };
  Floor f;
  f.pool = rte_pktmbuf_pool_create(id.c_str(), mbufs, 256, 0, uint16_t(2048 + RTE_PKTMBUF_HEADROOM), 0);
  if (!f.pool) return fail("creating the mempool", rte_errno);
  if (int rc = rte_dev_probe(device.c_str()); rc != 0) {
    rte_mempool_free(f.pool);
    return fail("probing " + device, rc);
  }
  const std::string name = device.substr(0, device.find(','));
  if (rte_eth_dev_get_port_by_name(name.c_str(), &f.port) != 0) {
    rte_mempool_free(f.pool);
    r.error = "probing " + device + " made no port " + name;
    return r;
  }
  bool ok = true;
  rte_eth_conf conf{};
  uint16_t nrx = 1024, ntx = 1024;
  ok = ok && rte_eth_dev_configure(f.port, 1, 1, &conf) == 0 &&
       rte_eth_dev_adjust_nb_rx_tx_desc(f.port, &nrx, &ntx) == 0 &&
       rte_eth_rx_queue_setup(f.port, 0, nrx, 0, nullptr, f.pool) == 0 &&
       rte_eth_tx_queue_setup(f.port, 0, ntx, 0, nullptr) == 0;
  for (unsigned q = 0; ok && q < 2; ++q) {
    f.rings[q] = rte_ring_create((id + "_" + std::to_string(q)).c_str(), rte_align32pow2(std::max<unsigned>(nrx, 1024)),
                                 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ok = f.rings[q] != nullptr;
  }
  ok = ok && rte_eth_dev_start(f.port) == 0;
  if (ok) {
    rte_eal_remote_launch(mover, &f, 1);
    rte_eal_remote_launch(dropper, &f, 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // warm, as the dispatcher cases do
    const uint64_t rx0 = f.rx.load(), c0 = f.cycles.load(), full0 = f.ring_full.load();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const uint64_t rx1 = f.rx.load(), c1 = f.cycles.load(), full1 = f.ring_full.load();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    f.stop.store(true);
    rte_eal_wait_lcore(1);
    rte_eal_wait_lcore(2);
    r.rx = rx1 - rx0;
    r.ring_full = full1 - full0;
    r.cycles = r.rx ? double(c1 - c0) / double(r.rx) : 0;
    r.mpps = double(r.rx) / secs / 1e6;
    rte_eth_dev_stop(f.port);
  } else {
    r.error = "setting up " + name + " failed";
  }
  rte_eth_dev_info info{};
  const bool have = rte_eth_dev_is_valid_port(f.port) && rte_eth_dev_info_get(f.port, &info) == 0;
  rte_eth_dev_close(f.port);
  if (have && info.device) rte_dev_remove(info.device);
  for (rte_ring* ring : f.rings) rte_ring_free(ring);
  rte_mempool_free(f.pool);
  return r;
}

}  // namespace steer::bench
