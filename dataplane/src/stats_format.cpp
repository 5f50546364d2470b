#include <cstdio>
#include <string>

#include "steer/dataplane.h"

namespace steer {
namespace {

const char* kBucketNames[kBurstBuckets] = {"0",     "1",      "2-3",     "4-7",     "8-15", "16-31",
                                           "32-63", "64-127", "128-255", "256-511", "512"};

void line(std::string& out, const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  out += buf;
}

using ull = unsigned long long;

}  // namespace

std::string format_stats(const StatsSnapshot& s) {
  std::string o;
  QueueStats total;
  line(o, "%-12s %5s %14s %14s %10s %10s %10s %14s %10s %10s %10s\n", "queue", "lcore", "rx", "tx", "tx_drop",
       "dropped", "reordered", "empty_polls", "avg_burst", "held", "drain_to");
  for (const auto& q : s.queues) {
    std::string name = q.port + ":" + std::to_string(q.queue);
    uint64_t bursts = 0;
    for (unsigned b = 1; b < kBurstBuckets; ++b) bursts += q.s.burst_hist[b];
    line(o, "%-12s %5u %14llu %14llu %10llu %10llu %10llu %14llu %10.1f %10llu %10llu\n", name.c_str(), q.lcore,
         ull(q.s.rx), ull(q.s.tx), ull(q.s.tx_dropped), ull(q.s.dropped), ull(q.s.reordered), ull(q.s.empty_polls),
         bursts ? double(q.s.rx) / double(bursts) : 0.0, ull(q.s.held), ull(q.s.drain_timeouts));
    total += q.s;
  }
  o += "burst sizes (non-empty polls):";
  for (unsigned b = 1; b < kBurstBuckets; ++b)
    if (total.burst_hist[b]) line(o, " %s:%llu", kBucketNames[b], ull(total.burst_hist[b]));
  o += "\n\n";
  line(o, "%-6s %14s %14s %7s %10s %14s %14s %11s\n", "lcore", "loops", "idle_loops", "busy%", "sleeps", "rx", "tx",
       "cycles/pkt");
  for (const auto& l : s.lcores) {
    uint64_t all = l.busy_cycles + l.idle_cycles;
    line(o, "%-6u %14llu %14llu %6.1f%% %10llu %14llu %14llu %11.1f\n", l.lcore, ull(l.loops), ull(l.idle_loops),
         all ? 100.0 * double(l.busy_cycles) / double(all) : 0.0, ull(l.sleeps), ull(l.total.rx), ull(l.total.tx),
         l.total.rx ? double(l.busy_cycles) / double(l.total.rx) : 0.0);
  }
  if (!s.dispatchers.empty()) {
    o += "\n";
    line(o, "%-12s %5s %14s %10s %10s %10s %10s %10s\n", "dispatch", "lcore", "rx", "rule_drop", "ring_full", "held",
         "timeouts", "marked");
    for (const auto& d : s.dispatchers) {
      std::string name = d.port + ":" + std::to_string(d.queue);
      line(o, "%-12s %5u %14llu %10llu %10llu %10llu %10llu %10llu\n", name.c_str(), d.lcore, ull(d.rx),
           ull(d.rule_drops), ull(d.ring_full), ull(d.held), ull(d.timeouts), ull(d.marked));
    }
  }
  o += "\n";
  line(o, "%-8s %14s %14s %10s %10s %10s %10s\n", "port", "ipackets", "opackets", "imissed", "ierrors", "oerrors",
       "rx_nombuf");
  for (const auto& p : s.ports) {
    line(o, "%-8s %14llu %14llu %10llu %10llu %10llu %10llu\n", p.name.c_str(), ull(p.ipackets), ull(p.opackets),
         ull(p.imissed), ull(p.ierrors), ull(p.oerrors), ull(p.rx_nombuf));
  }
  for (const auto& p : s.ports) {
    if (p.xstats.empty()) continue;
    o += "xstats " + p.name + ":";
    for (const auto& [name, v] : p.xstats) line(o, " %s=%llu", name.c_str(), ull(v));
    o += "\n";
  }
  o += "\n";
  line(o, "%-16s %6s %10s %10s %10s\n", "pool", "socket", "size", "in_use", "free");
  for (const auto& p : s.pools)
    line(o, "%-16s %6d %10u %10u %10u\n", p.name.c_str(), p.socket, p.size, p.in_use, p.avail);
  uint64_t ring_full = 0, rule_drops = 0;
  for (const auto& d : s.dispatchers) ring_full += d.ring_full, rule_drops += d.rule_drops;
  line(o, "\ntotals: rx=%llu tx=%llu tx_dropped=%llu dropped=%llu reordered=%llu ring_full=%llu rule_drops=%llu\n",
       ull(total.rx), ull(total.tx), ull(total.tx_dropped), ull(total.dropped), ull(total.reordered), ull(ring_full),
       ull(rule_drops));
  return o;
}

}  // namespace steer
