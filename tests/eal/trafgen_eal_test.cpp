// Tier 2 for steer-trafgen: the engine on ring-backed ports in one EAL.
#include <unistd.h>

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <filesystem>
#include <string>
#include <vector>

#include "eal_env.h"
#include "engine.h"

namespace steer::trafgen {
namespace {

rte_mempool* g_pool = nullptr;

// Two worker lcores: separate TX and RX loops, both on the machine's CPUs.
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(
    new steer::testing::EalEnvironment("steer_tg_test", "(0-2)@(0,1)", 256, 8191, &g_pool));

// A port whose TX ring is its own RX ring: what goes out comes back.
uint16_t loopback_port(const std::string& name) {
  rte_ring* r = rte_ring_create(name.c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  int id = rte_eth_from_rings(name.c_str(), &r, 1, &r, 1, 0);
  EXPECT_GE(id, 0);
  return uint16_t(id);
}

TEST(Trafgen, LoopbackThroughARingLosesAndReordersNothing) {
  Options o;
  o.tx_port = o.rx_port = loopback_port("tg_lo0");
  o.flows = make_flows(128, FlowMode::Random, 9, 17, false);
  o.count = 200000;
  o.rate_pps = 2e6;
  o.progress = false;
  Results r;
  std::string why;
  ASSERT_TRUE(run(o, &r, &why)) << why;
  EXPECT_EQ(r.sent, 200000u);
  EXPECT_EQ(r.received, 200000u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.reordered, 0u);
  EXPECT_EQ(r.duplicated, 0u);
  EXPECT_EQ(r.foreign, 0u);
  EXPECT_EQ(r.latency_ns.count(), 200000u);
  EXPECT_GT(r.latency_ns.percentile(0.5), 0u);
  ASSERT_EQ(r.queues.size(), 1u);
  EXPECT_EQ(r.queues[0].flows, 128u);
  (void)rte_eth_dev_close(o.tx_port);
}

// The generator's frames pass through an impairment (drop every 10th, swap
// two of one flow, duplicate one) on their way through a ring port; the
// receiver must report exactly that.
TEST(Trafgen, ImpairmentIsReportedExactly) {
  const uint16_t port = loopback_port("tg_imp0");
  rte_eth_conf conf{};
  ASSERT_EQ(rte_eth_dev_configure(port, 1, 1, &conf), 0);
  ASSERT_EQ(rte_eth_rx_queue_setup(port, 0, 1024, 0, nullptr, g_pool), 0);
  ASSERT_EQ(rte_eth_tx_queue_setup(port, 0, 1024, 0, nullptr), 0);
  ASSERT_EQ(rte_eth_dev_start(port), 0);

  const uint8_t src[6] = {2, 0, 0, 0, 0, 1}, dst[6] = {2, 0, 0, 0, 0, 2};
  Generator gen(make_flows(4, FlowMode::Sequential, 0, 17, false), {64}, src, dst, 1);
  Receiver rcv(4, 1, rte_get_tsc_hz());
  constexpr unsigned kN = 1000;
  std::vector<rte_mbuf*> built(kN);
  ASSERT_EQ(rte_pktmbuf_alloc_bulk(g_pool, built.data(), kN), 0);
  gen.fill(built.data(), kN, 0, rte_rdtsc());

  std::vector<rte_mbuf*> wire;
  for (unsigned i = 0; i < kN; ++i) {
    if (i % 10 == 9)
      rte_pktmbuf_free(built[i]);  // 100 dropped
    else
      wire.push_back(built[i]);
  }
  std::swap(wire[40], wire[44]);  // 4 flows round-robin: same flow, one apart
  rte_mbuf* dup = rte_pktmbuf_copy(wire[500], g_pool, 0, UINT32_MAX);
  ASSERT_NE(dup, nullptr);
  wire.insert(wire.begin() + 600, dup);

  unsigned sent = 0, got = 0;
  rte_mbuf* rx[64];
  while (got < wire.size()) {
    if (sent < wire.size())
      sent += rte_eth_tx_burst(port, 0, wire.data() + sent, uint16_t(std::min<size_t>(32, wire.size() - sent)));
    uint16_t n = rte_eth_rx_burst(port, 0, rx, 64);
    rcv.on_burst(rx, n, 0, rte_rdtsc());
    rte_pktmbuf_free_bulk(rx, n);
    got += n;
  }
  const Checker& ck = rcv.checker();
  EXPECT_EQ(ck.received(), 901u);
  EXPECT_EQ(ck.reordered(), 1u);
  EXPECT_EQ(ck.duplicated(), 1u);
  auto loss = ck.loss(gen.sent_per_flow());
  EXPECT_EQ(loss.lost, 100u);
  EXPECT_EQ(rcv.foreign(), 0u);
  (void)rte_eth_dev_stop(port);
  (void)rte_eth_dev_close(port);
  EXPECT_EQ(rte_mempool_in_use_count(g_pool), 0u);
}

TEST(Trafgen, SendOnlyCountsWithoutAReceiver) {
  Options o;
  o.tx_port = o.rx_port = loopback_port("tg_tx0");
  o.flows = make_flows(8, FlowMode::Sequential, 0, 6, true);  // IPv6 TCP
  o.count = 1000;
  o.rx = false;
  o.progress = false;
  Results r;
  std::string why;
  ASSERT_TRUE(run(o, &r, &why)) << why;
  EXPECT_EQ(r.sent, 1000u);
  EXPECT_EQ(r.received, 0u);
  EXPECT_EQ(r.tx_bytes, 1000u * 94) << "IPv6 TCP frames raised to 94 bytes";
  (void)rte_eth_dev_close(o.tx_port);
}

}  // namespace
}  // namespace steer::trafgen
