#include "engine.h"

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

#include "device_guard.h"
#include "steer/evidence.h"

namespace steer::trafgen {

Generator::Generator(std::vector<FlowTuple> flows, std::vector<uint16_t> sizes, const uint8_t src_mac[6],
                     const uint8_t dst_mac[6], uint16_t queues)
    : flows_(std::move(flows)),
      sizes_(std::move(sizes)),
      queues_(std::max<uint16_t>(1, std::min<uint16_t>(queues, uint16_t(std::min<size_t>(flows_.size(), 65535))))),
      next_seq_(flows_.size(), 0),
      cursor_(queues_, 0) {
  templates_.assign(flows_.size() * sizes_.size() * kStride, 0);
  hdr_len_ = flows_.empty() ? 0 : uint16_t(header_len(flows_[0]));
  for (size_t f = 0; f < flows_.size(); ++f) {
    if (header_len(flows_[f]) != hdr_len_) hdr_len_ = 0;
    for (size_t s = 0; s < sizes_.size(); ++s) {
      std::vector<uint8_t> frame(sizes_[s]);
      build_headers(frame.data(), flows_[f], sizes_[s], src_mac, dst_mac);
      std::memcpy(&templates_[(f * sizes_.size() + s) * kStride], frame.data(), header_len(flows_[f]));
    }
  }
}

namespace {

// Constant-size copies for the four header lengths: the compiler turns each
// into a few vector moves instead of a memcpy call.
template <size_t N>
inline void copy_header(uint8_t* dst, const uint8_t* src) {
  std::memcpy(dst, src, N);
}

inline void copy_any_header(uint8_t* dst, const uint8_t* src, size_t n) {
  switch (n) {
    case 42:
      copy_header<42>(dst, src);
      break;
    case 54:
      copy_header<54>(dst, src);
      break;
    case 62:
      copy_header<62>(dst, src);
      break;
    case 74:
      copy_header<74>(dst, src);
      break;
    default:
      std::memcpy(dst, src, n);
  }
}

}  // namespace

void Generator::fill(rte_mbuf** pkts, unsigned n, uint16_t q, uint64_t tsc) {
  const uint32_t nflows = uint32_t(flows_.size());
  // flows of queue q: q, q + queues, q + 2*queues, ...
  const uint32_t per_queue = (nflows - q + queues_ - 1) / queues_;
  const size_t nsizes = sizes_.size();
  uint32_t cur = cursor_[q];
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t flow = q + cur * queues_;
    if (++cur == per_queue) cur = 0;
    const size_t s = size_cursor_;
    if (++size_cursor_ == nsizes) size_cursor_ = 0;
    const uint16_t len = sizes_[s];
    const uint8_t* t = &templates_[(size_t(flow) * nsizes + s) * kStride];
    const size_t hl = hdr_len_ ? hdr_len_ : header_len(flows_[flow]);
    rte_mbuf* m = pkts[i];
    uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
    copy_any_header(data, t, hl);
    // Padding after the evidence is left as the buffer had it: frames are sized
    // by their headers, and nothing reads past the evidence.
    evidence::write(data + hl, flow, next_seq_[flow]++, tsc);
    m->data_len = len;
    m->pkt_len = len;
    bytes_ += len;
  }
  cursor_[q] = cur;
}

Receiver::Receiver(uint32_t flows, uint16_t queues, uint64_t tsc_hz)
    : checker_(flows),
      ns_per_tsc_(1e9 / double(tsc_hz)),
      queue_packets_(queues, 0),
      queue_flow_seen_(queues, std::vector<uint8_t>(flows, 0)) {}

void Receiver::on_burst(rte_mbuf* const* pkts, unsigned n, uint16_t q, uint64_t now) {
  for (unsigned i = 0; i < n; ++i) {
    const rte_mbuf* m = pkts[i];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    const size_t off = evidence::l4_payload_offset(data, m->data_len);
    evidence::Fields f;
    if (!off || !evidence::read(data + off, f) || f.flow >= checker_.flows()) {
      ++foreign_;
      continue;
    }
    checker_.on_packet(f.flow, f.seq);
    latency_.record(now > f.tsc ? uint64_t(double(now - f.tsc) * ns_per_tsc_) : 0);
    bytes_ += m->pkt_len;
    if (q < queue_packets_.size()) {
      ++queue_packets_[q];
      queue_flow_seen_[q][f.flow] = 1;
    }
  }
}

std::vector<QueueShare> Receiver::queue_shares() const {
  std::vector<QueueShare> out;
  for (size_t q = 0; q < queue_packets_.size(); ++q) {
    QueueShare s;
    s.queue = uint16_t(q);
    s.packets = queue_packets_[q];
    s.flows = uint32_t(std::count(queue_flow_seen_[q].begin(), queue_flow_seen_[q].end(), 1));
    out.push_back(s);
  }
  return out;
}

namespace {

// Shared between the lcores and the main thread. Each atomic has one writer.
struct Shared {
  std::atomic<bool> tx_done{false};    // TX lcore: rw, main: ro
  std::atomic<bool> rx_stop{false};    // main: rw, RX lcore: ro
  std::atomic<uint64_t> sent{0};       // TX lcore: rw
  std::atomic<uint64_t> tx_bytes{0};   // TX lcore: rw
  std::atomic<uint64_t> received{0};   // RX lcore: rw
  std::atomic<uint64_t> rx_bytes{0};   // RX lcore: rw
  std::atomic<uint64_t> reordered{0};  // RX lcore: rw
  std::atomic<uint64_t> tx_start{0}, tx_end{0};
  const std::atomic<bool>* stop_requested = nullptr;  // caller: rw (e.g. on SIGINT), TX lcore: ro
  uint64_t unsent = 0;                                // TX lcore, read after join
  uint64_t alloc_failures = 0;
};

struct Ctx {
  const Options* o;
  rte_mempool* pool;
  Generator* gen;
  Receiver* rcv;
  Shared* sh;
  Pacer pacer;
  uint64_t tsc_hz;
};

// TX state machine: build a burst, send it until it is all out (a built frame
// is never dropped, so a sequence gap at the receiver is a real loss).
struct TxState {
  rte_mbuf* pend[512];
  unsigned pend_off = 0, pend_n = 0;
  uint16_t q = 0;
  uint64_t built = 0, end_tsc = 0;
  bool started = false, finished = false;
};

void tx_step(Ctx& c, TxState& t) {
  const Options& o = *c.o;
  if (!t.started) {
    t.started = true;
    const uint64_t now = rte_rdtsc();
    c.pacer.start = now;
    c.sh->tx_start.store(now, std::memory_order_relaxed);
    t.end_tsc = o.duration_s > 0 ? now + uint64_t(o.duration_s * double(c.tsc_hz)) : UINT64_MAX;
  }
  const uint64_t now = rte_rdtsc();
  const bool over = now >= t.end_tsc || c.sh->stop_requested->load(std::memory_order_relaxed);
  if (t.pend_n) {
    if (over) {  // a peer that stopped reading must not hold the end; tx_flush() bounds the rest
      t.finished = true;
      return;
    }
    const uint16_t s = rte_eth_tx_burst(o.tx_port, t.q, t.pend + t.pend_off, uint16_t(t.pend_n));
    t.pend_off += s;
    t.pend_n -= s;
    if (s) {
      c.sh->sent.store(c.sh->sent.load(std::memory_order_relaxed) + s, std::memory_order_relaxed);
      c.sh->tx_end.store(rte_rdtsc(), std::memory_order_relaxed);
    }
    if (!t.pend_n) t.q = uint16_t((t.q + 1) % c.gen->queues());
    return;
  }
  if (over || (o.count && t.built >= o.count)) {
    t.finished = true;
    return;
  }
  uint64_t want = o.burst;
  if (!c.pacer.unlimited()) {
    const uint64_t allowed = c.pacer.allowed(now);
    if (allowed <= t.built) {
      // Ahead of schedule: sleep when the next packet is far off, so a paced
      // generator leaves the CPU to others (this machine may have two).
      const double wait_us = double(t.built + 1 - allowed) / c.pacer.pps * 1e6;
      if (wait_us > 60) {
        timespec ts{0, long((wait_us - 30) * 1000)};
        nanosleep(&ts, nullptr);
      } else {
        rte_pause();
      }
      return;
    }
    want = std::min(want, allowed - t.built);
  }
  if (o.count) want = std::min(want, o.count - t.built);
  if (rte_pktmbuf_alloc_bulk(c.pool, t.pend, unsigned(want)) != 0) {
    ++c.sh->alloc_failures;
    return;
  }
  c.gen->fill(t.pend, unsigned(want), t.q, now);
  c.sh->tx_bytes.store(c.gen->bytes(), std::memory_order_relaxed);
  t.built += want;
  t.pend_off = 0;
  t.pend_n = unsigned(want);
}

void tx_flush(Ctx& c, TxState& t) {
  const uint64_t deadline = rte_rdtsc() + c.tsc_hz;  // one second, then give up and count
  while (t.pend_n && rte_rdtsc() < deadline) {
    const uint16_t s = rte_eth_tx_burst(c.o->tx_port, t.q, t.pend + t.pend_off, uint16_t(t.pend_n));
    t.pend_off += s;
    t.pend_n -= s;
    if (s) {
      c.sh->sent.store(c.sh->sent.load(std::memory_order_relaxed) + s, std::memory_order_relaxed);
      c.sh->tx_end.store(rte_rdtsc(), std::memory_order_relaxed);
    }
    device_guard::quiescent(rte_lcore_id());
  }
  if (t.pend_n) {
    rte_pktmbuf_free_bulk(t.pend + t.pend_off, t.pend_n);
    c.sh->unsent += t.pend_n;
    t.pend_n = 0;
  }
}

unsigned rx_step(Ctx& c) {
  const Options& o = *c.o;
  rte_mbuf* pkts[512];
  unsigned total = 0;
  for (uint16_t q = 0; q < o.queues; ++q) {
    const uint16_t n = rte_eth_rx_burst(o.rx_port, q, pkts, o.burst);
    if (!n) continue;
    c.rcv->on_burst(pkts, n, q, rte_rdtsc());
    rte_pktmbuf_free_bulk(pkts, n);
    total += n;
  }
  if (total) {
    const Checker& ck = c.rcv->checker();
    c.sh->received.store(ck.received() + c.rcv->foreign(), std::memory_order_relaxed);
    c.sh->reordered.store(ck.reordered(), std::memory_order_relaxed);
    c.sh->rx_bytes.store(c.rcv->bytes(), std::memory_order_relaxed);
  }
  return total;
}

// Each lcore loop tells the device guard (dataplane/src/guard) when it holds
// nothing from a device, so a peer's teardown never unmaps a ring under it.
int tx_main(void* arg) {
  Ctx& c = *static_cast<Ctx*>(arg);
  const unsigned self = rte_lcore_id();
  TxState t;
  device_guard::online(self);
  while (!t.finished) {
    tx_step(c, t);
    device_guard::quiescent(self);
  }
  tx_flush(c, t);
  device_guard::offline(self);
  c.sh->tx_done.store(true, std::memory_order_release);
  return 0;
}

int rx_main(void* arg) {
  Ctx& c = *static_cast<Ctx*>(arg);
  const unsigned self = rte_lcore_id();
  device_guard::online(self);
  while (!c.sh->rx_stop.load(std::memory_order_acquire)) {
    rx_step(c);
    device_guard::quiescent(self);
  }
  device_guard::offline(self);
  return 0;
}

int both_main(void* arg) {
  Ctx& c = *static_cast<Ctx*>(arg);
  const unsigned self = rte_lcore_id();
  TxState t;
  device_guard::online(self);
  while (!t.finished) {
    tx_step(c, t);
    if (c.o->rx) rx_step(c);
    device_guard::quiescent(self);
  }
  tx_flush(c, t);
  c.sh->tx_done.store(true, std::memory_order_release);
  while (c.o->rx && !c.sh->rx_stop.load(std::memory_order_acquire)) {
    rx_step(c);
    device_guard::quiescent(self);
  }
  device_guard::offline(self);
  return 0;
}

// "port 0 (net_memif0)" and what to check about its peer: for memif, which
// socket nobody answered on.
std::string describe_peer(uint16_t port, std::string* hint) {
  rte_eth_dev_info info{};
  std::string device, args;
  if (rte_eth_dev_info_get(port, &info) == 0 && info.device) {
    device = rte_dev_name(info.device);
    if (const rte_devargs* da = rte_dev_devargs(info.device); da && da->args) args = da->args;
  }
  if (device.rfind("net_memif", 0) == 0) {
    const size_t at = args.find("socket=");
    std::string path = at == std::string::npos ? "/run/memif.sock" : args.substr(at + 7);
    path = path.substr(0, path.find(','));
    *hint = args.find("role=server") != std::string::npos ? "is a memif client connecting to " + path + "?"
                                                          : "is the memif server running at " + path + "?";
  } else {
    *hint = "is the peer up?";
  }
  return "port " + std::to_string(port) + (device.empty() ? "" : " (" + device + ")");
}

// Waits for the port's link; on a timeout says which port and what to check.
bool wait_link(uint16_t port, double timeout_s, std::string* why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP) return true;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string hint;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%g", timeout_s);
  *why = describe_peer(port, &hint) + ": link down for " + secs + " s; " + hint + " (--link-timeout S waits longer)";
  return false;
}

// On failure sets *why; *no_peer when the device would not start because its
// peer is not there (a memif client with no server).
bool setup_port(uint16_t port, const Options& o, rte_mempool* pool, std::string* why, bool* no_peer) {
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port, &info) != 0) {
    *why = "port " + std::to_string(port) + " does not exist; give a --vdev or PCI device, or pick --tx-port/--rx-port";
    return false;
  }
  if (o.queues > info.max_rx_queues || o.queues > info.max_tx_queues) {
    *why = "port " + std::to_string(port) + " (" + info.driver_name + ") supports " +
           std::to_string(info.max_rx_queues) + " RX / " + std::to_string(info.max_tx_queues) +
           " TX queues; lower --queues";
    return false;
  }
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(port, o.queues, o.queues, &conf); rc != 0) {
    *why = "configuring port " + std::to_string(port) + " failed: " + rte_strerror(-rc);
    return false;
  }
  uint16_t nrx = o.rx_desc, ntx = o.tx_desc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t q = 0; q < o.queues; ++q) {
    if (rte_eth_rx_queue_setup(port, q, nrx, unsigned(socket < 0 ? 0 : socket), nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(port, q, ntx, unsigned(socket < 0 ? 0 : socket), nullptr) != 0) {
      *why = "setting up queue " + std::to_string(q) + " of port " + std::to_string(port) + " failed";
      return false;
    }
  }
  (void)rte_eth_promiscuous_enable(port);
  if (int rc = rte_eth_dev_start(port); rc != 0) {
    std::string hint;
    *why = describe_peer(port, &hint) + ": starting it failed (" + rte_strerror(-rc) + ")";
    if (hint.rfind("is the memif server", 0) == 0) {
      *why += "; " + hint;
      *no_peer = true;
    }
    return false;
  }
  return true;
}

}  // namespace

bool run(const Options& o, Results* out, std::string* why) {
  static const std::atomic<bool> never{false};
  if (o.flows.empty()) {
    *why = "no flows";
    return false;
  }
  std::vector<unsigned> workers;
  unsigned l;
  RTE_LCORE_FOREACH_WORKER(l) workers.push_back(l);
  if (workers.empty()) {
    *why = "steer-trafgen needs at least one worker lcore besides the main one (e.g. --lcores 0@0,1@1)";
    return false;
  }
  static unsigned instance = 0;
  const std::string pool_name = "trafgen" + std::to_string(instance++);
  const unsigned ports = o.rx_port == o.tx_port ? 1 : 2;
  const unsigned mbufs = std::max(16383u, ports * o.queues * (o.rx_desc + o.tx_desc) + 4096u);
  rte_mempool* pool = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, 256, 0, 2048 + RTE_PKTMBUF_HEADROOM,
                                              int(rte_socket_id()) == SOCKET_ID_ANY ? 0 : int(rte_socket_id()));
  if (!pool) {
    *why =
        std::string("creating the mbuf pool failed (") + rte_strerror(rte_errno) + "); give the EAL more memory (-m)";
    return false;
  }
  auto release = [&] {
    (void)rte_eth_dev_stop(o.tx_port);
    if (ports == 2) (void)rte_eth_dev_stop(o.rx_port);
    rte_mempool_free(pool);
  };
  if (!setup_port(o.tx_port, o, pool, why, &out->link_down) ||
      (ports == 2 && !setup_port(o.rx_port, o, pool, why, &out->link_down))) {
    rte_mempool_free(pool);
    return false;
  }

  for (uint16_t port : {o.tx_port, o.rx_port})
    if (!wait_link(port, o.link_timeout_s, why)) {
      out->link_down = true;
      release();
      return false;
    }

  rte_ether_addr src;
  rte_eth_macaddr_get(o.tx_port, &src);
  uint16_t min_len = 0;
  for (const auto& f : o.flows) min_len = std::max<uint16_t>(min_len, uint16_t(min_frame_len(f)));
  const uint64_t hz = rte_get_tsc_hz();
  Generator gen(o.flows, size_pattern(o.imix, o.size, min_len), src.addr_bytes, o.dst_mac, o.queues);
  Receiver rcv(uint32_t(o.flows.size()), o.queues, hz);
  Shared sh;
  sh.stop_requested = o.stop ? o.stop : &never;
  Ctx ctx{&o, pool, &gen, &rcv, &sh, {}, hz};
  ctx.pacer.pps = o.rate_pps;
  ctx.pacer.tsc_hz = hz;
  ctx.pacer.burst_every = uint64_t(o.burst_every_ms * 1e-3 * double(hz));
  ctx.pacer.burst_len = uint64_t(o.burst_len_ms * 1e-3 * double(hz));
  ctx.pacer.burst_x = o.burst_x;

  if (workers.size() >= 2 && o.rx) {
    rte_eal_remote_launch(tx_main, &ctx, workers[0]);
    rte_eal_remote_launch(rx_main, &ctx, workers[1]);
  } else {
    rte_eal_remote_launch(both_main, &ctx, workers[0]);
  }

  Results& r = *out;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto next = t0 + std::chrono::seconds(1);
  uint64_t last_sent = 0, last_recv = 0, last_rx_bytes = 0;
  auto sample = [&](double dt) {
    const uint64_t s = sh.sent.load(std::memory_order_relaxed), rv = sh.received.load(std::memory_order_relaxed);
    const uint64_t rb = sh.rx_bytes.load(std::memory_order_relaxed);
    SecondSample x;
    x.t = std::chrono::duration<double>(clock::now() - t0).count();
    x.sent = s - last_sent;
    x.received = rv - last_recv;
    x.tx_mpps = double(x.sent) / dt / 1e6;
    x.rx_mpps = double(x.received) / dt / 1e6;
    x.rx_gbps = double(rb - last_rx_bytes) * 8 / dt / 1e9;
    last_sent = s;
    last_recv = rv;
    last_rx_bytes = rb;
    r.seconds.push_back(x);
    if (o.progress) {
      std::printf("%6.1fs  tx %8.3f Mpps  rx %8.3f Mpps %7.3f Gbps  sent %llu  received %llu  reordered %llu\n", x.t,
                  x.tx_mpps, x.rx_mpps, x.rx_gbps, (unsigned long long)s, (unsigned long long)rv,
                  (unsigned long long)sh.reordered.load(std::memory_order_relaxed));
      std::fflush(stdout);
    }
  };
  while (!sh.tx_done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (clock::now() >= next) {
      sample(1.0);
      next += std::chrono::seconds(1);
    }
  }
  // Drain: stragglers still in flight, until everything is back or drain_ms.
  const auto drain_end = clock::now() + std::chrono::milliseconds(o.drain_ms);
  while (o.rx && clock::now() < drain_end && sh.received.load(std::memory_order_relaxed) < sh.sent.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  sh.rx_stop.store(true, std::memory_order_release);
  rte_eal_mp_wait_lcore();

  // Nothing sent (the peer went away before the first burst): no duration.
  const uint64_t t_start = sh.tx_start.load(), t_end = sh.tx_end.load();
  const double dur = t_start && t_end > t_start ? double(t_end - t_start) / double(hz) : 0.0;
  r.sent = sh.sent.load();
  r.tx_bytes = sh.tx_bytes.load();
  r.flows = uint32_t(o.flows.size());
  r.duration_s = dur;
  if (o.rx) {
    const Checker& ck = rcv.checker();
    r.received = ck.received();
    r.reordered = ck.reordered();
    r.duplicated = ck.duplicated();
    r.foreign = rcv.foreign();
    auto loss = ck.loss(gen.sent_per_flow());
    r.lost = loss.lost;
    r.flows_with_loss = loss.flows_with_loss;
    r.rx_bytes = rcv.bytes();
    r.latency_ns = rcv.latency();
    r.queues = rcv.queue_shares();
  } else {
    r.lost = 0;
  }
  if (dur > 0) {
    r.tx_mpps = double(r.sent) / dur / 1e6;
    r.rx_mpps = double(r.received) / dur / 1e6;
    r.tx_gbps = double(r.tx_bytes) * 8 / dur / 1e9;
    r.rx_gbps = double(r.rx_bytes) * 8 / dur / 1e9;
  }
  if (sh.alloc_failures)
    std::fprintf(stderr, "steer-trafgen: the mbuf pool ran dry %llu times; the rate was limited by it\n",
                 (unsigned long long)sh.alloc_failures);
  if (sh.unsent)
    std::fprintf(stderr, "steer-trafgen: %llu built frames could not be sent within 1 s of the end\n",
                 (unsigned long long)sh.unsent);
  release();
  return true;
}

}  // namespace steer::trafgen
