#include "steer/stats.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace steer {

void QueueStats::read(const QueueCounters& c) {
  read_fields(kQueueFields, c, this);
  for (unsigned i = 0; i < kBurstBuckets; ++i) burst_hist[i] = c.burst_hist[i].get();
}

QueueStats& QueueStats::operator+=(const QueueStats& o) {
  add_fields(kQueueFields, o, this);
  for (unsigned i = 0; i < kBurstBuckets; ++i) burst_hist[i] += o.burst_hist[i];
  return *this;
}

void LcoreStats::read(const LcoreCounters& c) {
  read_fields(kLcoreFields, c, this);
}

void DispatchStats::read(const DispatchCounters& c) {
  read_fields(kDispatchFields, c, this);
}

DispatchStats& DispatchStats::operator+=(const DispatchStats& o) {
  add_fields(kDispatchFields, o, this);
  return *this;
}

namespace {

const char* kBucketNames[kBurstBuckets] = {"0",     "1",      "2-3",     "4-7",     "8-15", "16-31",
                                           "32-63", "64-127", "128-255", "256-511", "512"};

void line(std::string& out, const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  out += buf;
}

using ull = unsigned long long;

int width(const char* name) {
  return std::max(10, int(std::strlen(name)) + 1);
}

// The header cells and the value cells of one table section, from its fields.
template <class F, size_t N>
void header(std::string& o, const F (&fields)[N]) {
  for (const auto& f : fields) line(o, " %*s", width(f.name), f.name);
}
template <class F, class S, size_t N>
void cells(std::string& o, const F (&fields)[N], const S& s) {
  for (const auto& f : fields) line(o, " %*llu", width(f.name), ull(s.*f.value));
}

}  // namespace

std::string format_stats(const StatsSnapshot& s) {
  std::string o;
  QueueStats total;
  line(o, "%-12s %5s", "queue", "lcore");
  header(o, kQueueFields);
  line(o, " %10s %12s\n", "avg_burst", "via_dispatch");
  for (const auto& q : s.queues) {
    const std::string name = q.port + ":" + std::to_string(q.queue);
    uint64_t bursts = 0;
    for (unsigned b = 1; b < kBurstBuckets; ++b) bursts += q.s.burst_hist[b];
    line(o, "%-12s %5u", name.c_str(), q.lcore);
    cells(o, kQueueFields, q.s);
    // via_dispatch: the device queue whose dispatcher fed this ring ("-": a device queue)
    line(o, " %10.1f %12s\n", bursts ? double(q.s.rx) / double(bursts) : 0.0,
         q.via_dispatch < 0 ? "-" : std::to_string(q.via_dispatch).c_str());
    total += q.s;
  }
  o += "burst sizes (non-empty polls):";
  for (unsigned b = 1; b < kBurstBuckets; ++b)
    if (total.burst_hist[b]) line(o, " %s:%llu", kBucketNames[b], ull(total.burst_hist[b]));
  o += "\n\n";
  line(o, "%-6s", "lcore");
  header(o, kLcoreFields);
  line(o, " %7s %14s %14s %11s\n", "busy%", "rx", "tx", "cycles/pkt");
  for (const auto& l : s.lcores) {
    const uint64_t all = l.busy_cycles + l.idle_cycles;
    line(o, "%-6u", l.lcore);
    cells(o, kLcoreFields, l);
    line(o, " %6.1f%% %14llu %14llu %11.1f\n", all ? 100.0 * double(l.busy_cycles) / double(all) : 0.0, ull(l.total.rx),
         ull(l.total.tx), l.total.rx ? double(l.busy_cycles) / double(l.total.rx) : 0.0);
  }
  DispatchStats dispatched;
  if (!s.dispatchers.empty()) {
    o += "\n";
    line(o, "%-12s %5s", "dispatch", "lcore");
    header(o, kDispatchFields);
    line(o, " %11s\n", "cycles/pkt");
    for (const auto& d : s.dispatchers) {
      const std::string name = d.port + ":" + std::to_string(d.queue);
      line(o, "%-12s %5u", name.c_str(), d.lcore);
      cells(o, kDispatchFields, d);
      line(o, " %11.1f\n", d.rx ? double(d.busy_cycles) / double(d.rx) : 0.0);
      dispatched += d;
    }
  }
  o += "\n";
  line(o, "%-8s", "port");
  header(o, kPortFields);
  o += "\n";
  for (const auto& p : s.ports) {
    line(o, "%-8s", p.name.c_str());
    cells(o, kPortFields, p);
    o += "\n";
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
  line(o, "\ntotals: rx=%llu tx=%llu tx_dropped=%llu dropped=%llu reordered=%llu ring_full=%llu rule_drops=%llu\n",
       ull(total.rx), ull(total.tx), ull(total.tx_dropped), ull(total.dropped), ull(total.reordered),
       ull(dispatched.ring_full), ull(dispatched.rule_drops));
  return o;
}

}  // namespace steer
