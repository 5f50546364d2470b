// The counters, read off the lcores without stopping them, and the devices'.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "impl.h"

namespace steer {

StatsSnapshot Dataplane::stats() const {
  const Impl& m = *impl_;
  StatsSnapshot s;
  s.tsc_hz = rte_get_tsc_hz();
  for (const auto& w : m.workers) {
    StatsSnapshot::Lcore l;
    l.lcore = w->lcore;
    l.read(w->counters);
    for (size_t j = 0; j < w->polled.size(); ++j) {
      StatsSnapshot::Queue q;
      q.port = m.d.ports[w->polled[j].port].name;
      q.queue = w->polled[j].queue;
      q.lcore = w->lcore;
      q.via_dispatch = w->via[j];
      q.s.read(w->queues[j]);
      l.total += q.s;
      s.queues.push_back(q);
    }
    s.lcores.push_back(l);
  }
  for (const auto& p : m.ports) {
    StatsSnapshot::Port ps;
    ps.name = p.name;
    rte_eth_stats st;
    if (rte_eth_stats_get(p.port_id, &st) == 0) {
      ps.ipackets = st.ipackets;
      ps.opackets = st.opackets;
      ps.ibytes = st.ibytes;
      ps.obytes = st.obytes;
      ps.imissed = st.imissed;
      ps.ierrors = st.ierrors;
      ps.oerrors = st.oerrors;
      ps.rx_nombuf = st.rx_nombuf;
    }
    int n = rte_eth_xstats_get(p.port_id, nullptr, 0);
    if (n > 0) {
      std::vector<rte_eth_xstat> xs(static_cast<size_t>(n));
      std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
      if (rte_eth_xstats_get(p.port_id, xs.data(), unsigned(n)) == n &&
          rte_eth_xstats_get_names(p.port_id, names.data(), unsigned(n)) == n)
        for (int i = 0; i < n; ++i)
          if (xs[size_t(i)].value) ps.xstats.emplace_back(names[xs[size_t(i)].id].name, xs[size_t(i)].value);
    }
    s.ports.push_back(ps);
  }
  for (const auto& ps : m.steering) {
    if (!ps.soft) continue;
    for (const auto& ds : ps.soft->dispatchers()) {
      StatsSnapshot::Dispatcher x;
      x.port = ds->port_name;
      x.queue = ds->dev_queue;
      x.lcore = ds->lcore;
      x.read(ds->counters);
      s.dispatchers.push_back(x);
    }
  }
  for (size_t k = 0; k < m.pools.size(); ++k) {
    if (!m.pools[k]) continue;
    StatsSnapshot::Pool pl;
    pl.name = m.pools[k]->name;
    pl.socket = m.plan.pools[k].socket;
    pl.size = m.pools[k]->size;
    pl.in_use = rte_mempool_in_use_count(m.pools[k]);
    pl.avail = rte_mempool_avail_count(m.pools[k]);
    s.pools.push_back(pl);
  }
  return s;
}

}  // namespace steer
