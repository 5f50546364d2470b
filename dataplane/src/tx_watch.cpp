// A TX queue that never accepts (Dataplane::check_tx_queues): the symptom of
// a queue with no ring behind it, for PMDs that do not say how many queues
// their peer backs.
#include <rte_ethdev.h>

#include <algorithm>

#include "impl.h"

namespace steer {

std::vector<Dataplane::TxFinding> Dataplane::check_tx_queues() {
  Impl& m = *impl_;
  // Per TX queue of port `p`: packets its lcore handed to it (sent) and
  // offered (sent + freed after the retries). Each lcore owns one TX queue per
  // port it sends to (plan.tx_senders), so a queue's figures are the sums over
  // its lcore's steps whose pipeline sends to `p`.
  auto tx_figures = [&m](size_t p, std::vector<uint64_t>& accepted, std::vector<uint64_t>& offered) {
    const auto& senders = m.plan.tx_senders[p];
    accepted.assign(senders.size(), 0);
    offered.assign(senders.size(), 0);
    for (const auto& w : m.workers) {
      const auto at = std::find(senders.begin(), senders.end(), w->lcore);
      if (at == senders.end()) continue;
      const size_t txq = size_t(at - senders.begin());
      for (size_t k = 0; k < w->polled.size(); ++k) {
        const QueueId q = w->polled[k];
        const auto& pl = m.d.pipelines[size_t(m.plan.queue_pipeline[q.port][q.queue])];
        const size_t out = pl.action == Action::Forward ? *pl.to : q.port;
        if (out != p || pl.action == Action::Drop) continue;
        const QueueCounters& c = w->queues[k];
        accepted[txq] += c.tx.get();
        offered[txq] += c.tx.get() + c.tx_dropped.get();
      }
    }
  };
  std::vector<TxFinding> found;
  if (!m.running) return found;
  m.tx_watch.resize(m.tx_limit.size());
  for (size_t p = 0; p < m.tx_limit.size(); ++p) {
    uint8_t* limit = m.tx_limit[p].get();
    if (!limit || (m.steering[p].soft && m.steering[p].soft->tx_ring())) continue;  // hand-back: queue 0 only
    Impl::TxWatch& tw = m.tx_watch[p];
    rte_eth_link l{};
    const bool up = rte_eth_link_get_nowait(m.ports[p].port_id, &l) == 0 && l.link_status == RTE_ETH_LINK_UP;
    std::vector<uint64_t> accepted, offered;
    tx_figures(p, accepted, offered);
    if (up && !tw.up) {  // a new link: a new peer, maybe with more queues; watch afresh
      __atomic_store_n(limit, uint8_t(255), __ATOMIC_RELAXED);
      tw.accepted0 = accepted;
      tw.offered0 = offered;
      tw.reported = false;
    }
    tw.up = up;
    if (!up || __atomic_load_n(limit, __ATOMIC_RELAXED) != 255 || tw.reported) continue;
    const size_t n = accepted.size();
    size_t first_stuck = n, working = n;
    bool suffix = true;
    for (size_t q = 0; q < n; ++q) {
      const uint64_t acc = accepted[q] - tw.accepted0[q], off = offered[q] - tw.offered0[q];
      const bool stuck = acc == 0 && off >= kStuckOffered;
      if (acc > 0 && working == n) working = q;
      if (stuck && first_stuck == n) first_stuck = q;
      if (first_stuck < q && !stuck && off > 0) suffix = false;  // a busy queue above a stuck one
    }
    if (first_stuck == n || working == n) continue;  // nothing stuck, or nothing works (a stalled peer)
    const std::string port = "port " + m.d.ports[p].name + ": ";
    const std::string what = "TX queue " + std::to_string(first_stuck) + (first_stuck + 1 < n ? " and up" : "") +
                             " accepted nothing of " + std::to_string(offered[first_stuck] - tw.offered0[first_stuck]) +
                             " packets offered since the link came up, while TX queue " + std::to_string(working) +
                             " accepted " + std::to_string(accepted[working] - tw.accepted0[working]);
    if (suffix) {
      __atomic_store_n(limit, uint8_t(first_stuck), __ATOMIC_RELAXED);
      found.push_back({m.d.ports[p].name, port + what +
                                              "; steerd stops using TX queues >= " + std::to_string(first_stuck) +
                                              " (what its lcores would send there is dropped and counted as "
                                              "unbacked) until the link goes down and up. Check that the peer has "
                                              "as many queues as the port"});
    } else {
      found.push_back(
          {m.d.ports[p].name, port + what + "; a queue above it works, so steerd keeps using it; check the peer"});
    }
    tw.reported = true;
  }
  return found;
}

}  // namespace steer
