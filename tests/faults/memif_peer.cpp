// A memif peer that leaves and comes back: the fault tests' client.
//
// One EAL process with one memif client port. Each cycle: start the port,
// wait for the link, send full-rate 64-byte UDP frames and receive the echoes
// for --traffic-ms, then stop sending and stop the port at once, while the
// server still has a backlog to echo. Stopping the port makes the memif PMD
// send DISCONNECT, so the server tears its side down exactly as when a
// client process exits, but in milliseconds instead of a process start.
//
// Prints one line per failed cycle and a summary line:
//   cycles=N link_up=N resumed=N sent=S received=R
// Exit 0 when every cycle's link came up and echoes came back; 1 otherwise;
// 2 on bad usage or EAL failure.
//
// usage: steer-test-memif-peer [EAL args] -- --cycles N --traffic-ms MS
//        --dst-mac MAC [--src-mac MAC] [--link-timeout-ms MS] [--stall-ms MS]
// --stall-ms: in each cycle the peer stops reading for MS (it keeps sending),
// so steerd's TX backs up for that long; the cycle passes only if echoes come
// back after the stall.
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "steer/text.h"

namespace {

struct Options {
  unsigned cycles = 10, traffic_ms = 200, link_timeout_ms = 5000;
  unsigned stall_ms = 0;  // per cycle, from a quarter of traffic_ms: keep sending, stop receiving
  uint8_t dst[6] = {}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
};

struct Shared {
  uint16_t port = 0;
  rte_mempool* pool = nullptr;
  const Options* o = nullptr;
  std::atomic<bool> stop{false}, stall{false};
  std::atomic<uint64_t> sent{0}, received{0};
};

void fill(rte_mbuf* m, const Options& o, uint32_t n) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memset(p, 0, 60);
  std::memcpy(p, o.dst, 6);
  std::memcpy(p + 6, o.src, 6);
  p[12] = 0x08;                              // IPv4
  p[14] = 0x45;                              // version 4, IHL 5
  p[17] = 46;                                // total length 46
  p[22] = 64;                                // TTL
  p[23] = 17;                                // UDP
  p[26] = 10, p[29] = 1;                     // 10.0.0.1
  p[30] = 10, p[33] = uint8_t(2 + n % 200);  // 10.0.0.x: a few flows
  p[34] = 0x30, p[35] = 0x39;                // source port 12345
  p[36] = 0x00, p[37] = 0x35;                // destination port 53
  p[39] = 26;                                // UDP length
  m->data_len = m->pkt_len = 60;
}

int traffic(void* arg) {
  Shared& s = *static_cast<Shared*>(arg);
  rte_mbuf* pkts[32];
  uint32_t n = 0;
  while (!s.stop.load(std::memory_order_acquire)) {
    if (rte_pktmbuf_alloc_bulk(s.pool, pkts, 32) == 0) {
      for (auto* m : pkts) fill(m, *s.o, n++);
      const uint16_t sent = rte_eth_tx_burst(s.port, 0, pkts, 32);
      if (sent < 32) rte_pktmbuf_free_bulk(pkts + sent, 32 - sent);
      s.sent.fetch_add(sent, std::memory_order_relaxed);
    }
    if (s.stall.load(std::memory_order_relaxed)) continue;  // the peer stops reading: steerd's TX backs up
    const uint16_t got = rte_eth_rx_burst(s.port, 0, pkts, 32);
    if (got) {
      rte_pktmbuf_free_bulk(pkts, got);
      s.received.fetch_add(got, std::memory_order_relaxed);
    }
  }
  return 0;
}

bool link_up(uint16_t port, unsigned timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "steer-test-memif-peer: %s\nusage: steer-test-memif-peer [EAL args] -- --cycles N "
               "--traffic-ms MS --dst-mac MAC [--src-mac MAC] [--link-timeout-ms MS]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int used = rte_eal_init(argc, argv);
  if (used < 0) return usage("EAL initialisation failed");
  argc -= used;
  argv += used;
  Options o;
  bool have_dst = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    if (a == "--cycles")
      o.cycles = unsigned(std::strtoul(v, nullptr, 10));
    else if (a == "--traffic-ms")
      o.traffic_ms = unsigned(std::strtoul(v, nullptr, 10));
    else if (a == "--link-timeout-ms")
      o.link_timeout_ms = unsigned(std::strtoul(v, nullptr, 10));
    else if (a == "--stall-ms")
      o.stall_ms = unsigned(std::strtoul(v, nullptr, 10));
    else if (a == "--dst-mac" || a == "--src-mac") {
      const auto mac = steer::parse_mac(v);
      if (!mac) return usage((a + ": not a MAC address").c_str());
      std::memcpy(a == "--dst-mac" ? o.dst : o.src, mac->data(), 6);
      have_dst |= a == "--dst-mac";
    } else {
      return usage(("unknown option " + a).c_str());
    }
  }
  if (!have_dst) return usage("--dst-mac is required");
  if (rte_eth_dev_count_avail() != 1) return usage("give exactly one --vdev net_memif...,role=client");
  const unsigned lcore = rte_get_next_lcore(-1, 1, 0);
  if (lcore >= RTE_MAX_LCORE) return usage("needs a worker lcore besides the main one (e.g. --lcores 0@0,1@0)");

  Shared s;
  s.o = &o;
  s.port = 0;
  while (!rte_eth_dev_is_valid_port(s.port)) ++s.port;
  s.pool = rte_pktmbuf_pool_create("peer", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
  rte_eth_conf conf{};
  if (!s.pool || rte_eth_dev_configure(s.port, 1, 1, &conf) != 0 ||
      rte_eth_rx_queue_setup(s.port, 0, 1024, rte_eth_dev_socket_id(s.port), nullptr, s.pool) != 0 ||
      rte_eth_tx_queue_setup(s.port, 0, 1024, rte_eth_dev_socket_id(s.port), nullptr) != 0)
    return usage("setting up the memif port failed");

  unsigned ups = 0, resumed = 0;
  for (unsigned c = 1; c <= o.cycles; ++c) {
    if (rte_eth_dev_start(s.port) != 0) {
      std::printf("cycle %u: rte_eth_dev_start failed\n", c);
      continue;
    }
    if (!link_up(s.port, o.link_timeout_ms)) {
      std::printf("cycle %u: link not up within %u ms\n", c, o.link_timeout_ms);
      (void)rte_eth_dev_stop(s.port);
      continue;
    }
    ++ups;
    const uint64_t before = s.received.load();
    bool stalled_dead = false;
    s.stop.store(false, std::memory_order_release);
    rte_eal_remote_launch(traffic, &s, lcore);
    if (o.stall_ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.traffic_ms / 4));
      const uint64_t r0 = s.received.load();
      s.stall.store(true);
      std::this_thread::sleep_for(std::chrono::milliseconds(o.stall_ms));
      s.stall.store(false);
      const uint64_t r1 = s.received.load();
      std::this_thread::sleep_for(std::chrono::milliseconds(o.traffic_ms - o.traffic_ms / 4));
      std::printf("cycle %u: stall %u ms: received %llu before, %llu after it\n", c, o.stall_ms, (unsigned long long)r0,
                  (unsigned long long)(s.received.load() - r1));
      if (s.received.load() == r1) {
        std::printf("cycle %u: no echo after the stall\n", c);
        stalled_dead = true;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.traffic_ms));
    }
    // Not echoed yet? Give the server (which may share this CPU) a little longer.
    for (int i = 0; i < 200 && s.received.load() == before; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s.stop.store(true, std::memory_order_release);
    rte_eal_wait_lcore(lcore);
    (void)rte_eth_dev_stop(s.port);  // the server still echoes a backlog: it is mid-burst now
    if (s.received.load() > before && !stalled_dead)
      ++resumed;
    else
      std::printf("cycle %u: no echo came back\n", c);
  }
  std::printf("cycles=%u link_up=%u resumed=%u sent=%llu received=%llu\n", o.cycles, ups, resumed,
              (unsigned long long)s.sent.load(), (unsigned long long)s.received.load());
  std::fflush(stdout);
  (void)rte_eth_dev_close(s.port);
  rte_eal_cleanup();
  return ups == o.cycles && resumed == o.cycles ? 0 : 1;
}
