// A stats snapshot of the dataplane, and the one table of its counters.
//
// Every place that lists counters iterates these tables: reading them off the
// lcores (QueueStats::read), summing, the CLI table (format_stats), the gRPC
// conversion and its deltas (controlplane/rpc/convert.cpp, by proto field
// name), and the metrics. A counter added here appears everywhere; a name
// here that the proto lacks is caught by a unit test, not skipped silently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "steer/counters.h"

namespace steer {

// Plain values, summable. Field names are the proto's and the table's.
struct QueueStats {
  uint64_t rx = 0, tx = 0, tx_dropped = 0, dropped = 0, reordered = 0, empty_polls = 0, busy_cycles = 0;
  uint64_t held = 0, drain_timeouts = 0, unbacked = 0;
  uint64_t burst_hist[kBurstBuckets] = {};
  void read(const QueueCounters& c);
  QueueStats& operator+=(const QueueStats& o);
};

struct LcoreStats {
  uint64_t loops = 0, idle_loops = 0, busy_cycles = 0, idle_cycles = 0, sleeps = 0;
  void read(const LcoreCounters& c);
};

struct DispatchStats {
  uint64_t rx = 0, rule_drops = 0, ring_full = 0, held = 0, timeouts = 0, marked = 0, empty_polls = 0;
  uint64_t busy_cycles = 0;
  void read(const DispatchCounters& c);
  DispatchStats& operator+=(const DispatchStats& o);
};

// What rte_eth_stats_get reports for a port.
struct PortStats {
  uint64_t ipackets = 0, opackets = 0, ibytes = 0, obytes = 0, imissed = 0, ierrors = 0, oerrors = 0, rx_nombuf = 0;
};

// One counter: its name (as the proto, the table and the metrics spell it),
// where it lives in the snapshot, where the lcore writes it (null for device
// counters), and what it counts.
// What a counter counts, for the metrics' names and base units (packets and
// bytes as _packets_total/_bytes_total, events as _total, TSC cycles as
// _seconds_total).
enum class Unit : uint8_t { Packets, Bytes, Events, Cycles };

template <class Stats, class Counters>
struct CounterField {
  const char* name;
  uint64_t Stats::*value;
  Counter Counters::*source;
  const char* help;
  Unit unit;
};

struct NoCounters {};  // device counters: read from rte_eth_stats, not from an lcore

inline constexpr CounterField<QueueStats, QueueCounters> kQueueFields[] = {
    {"rx", &QueueStats::rx, &QueueCounters::rx, "packets taken from the queue", Unit::Packets},
    {"tx", &QueueStats::tx, &QueueCounters::tx, "packets sent", Unit::Packets},
    {"tx_dropped", &QueueStats::tx_dropped, &QueueCounters::tx_dropped,
     "packets freed after the TX retries (the peer did not take them)", Unit::Packets},
    {"dropped", &QueueStats::dropped, &QueueCounters::dropped, "packets the pipeline's drop action freed",
     Unit::Packets},
    {"reordered", &QueueStats::reordered, &QueueCounters::reordered,
     "ordering audit: packets sent with a sequence below their flow's last", Unit::Packets},
    {"empty_polls", &QueueStats::empty_polls, &QueueCounters::empty_polls, "polls that returned nothing", Unit::Events},
    {"busy_cycles", &QueueStats::busy_cycles, &QueueCounters::busy_cycles, "TSC cycles spent on non-empty bursts",
     Unit::Cycles},
    {"held", &QueueStats::held, &QueueCounters::held, "hardware steering: packets parked by drains", Unit::Packets},
    {"drain_timeouts", &QueueStats::drain_timeouts, &QueueCounters::drain_timeouts,
     "hardware steering: drains released by timeout or hold budget", Unit::Events},
    {"unbacked", &QueueStats::unbacked, &QueueCounters::unbacked,
     "of tx_dropped: packets for a TX queue the peer has no ring behind, freed instead of sent", Unit::Packets},
};

inline constexpr CounterField<LcoreStats, LcoreCounters> kLcoreFields[] = {
    {"loops", &LcoreStats::loops, &LcoreCounters::loops, "loop iterations", Unit::Events},
    {"idle_loops", &LcoreStats::idle_loops, &LcoreCounters::idle_loops, "iterations where every queue was empty",
     Unit::Events},
    {"busy_cycles", &LcoreStats::busy_cycles, &LcoreCounters::busy_cycles,
     "TSC cycles of iterations that moved packets", Unit::Cycles},
    {"idle_cycles", &LcoreStats::idle_cycles, &LcoreCounters::idle_cycles, "TSC cycles of empty iterations",
     Unit::Cycles},
    {"sleeps", &LcoreStats::sleeps, &LcoreCounters::sleeps, "adaptive poll: times the lcore slept", Unit::Events},
};

inline constexpr CounterField<DispatchStats, DispatchCounters> kDispatchFields[] = {
    {"rx", &DispatchStats::rx, &DispatchCounters::rx, "packets taken from the device queue", Unit::Packets},
    {"rule_drops", &DispatchStats::rule_drops, &DispatchCounters::rule_drops, "packets a drop rule matched",
     Unit::Packets},
    {"ring_full", &DispatchStats::ring_full, &DispatchCounters::ring_full,
     "packets freed because a worker ring (or the TX hand-back) was full", Unit::Packets},
    {"held", &DispatchStats::held, &DispatchCounters::held, "packets parked during drains", Unit::Packets},
    {"timeouts", &DispatchStats::timeouts, &DispatchCounters::timeouts, "drains that ended by timeout", Unit::Events},
    {"marked", &DispatchStats::marked, &DispatchCounters::marked, "packets a mark rule tagged", Unit::Packets},
    {"empty_polls", &DispatchStats::empty_polls, &DispatchCounters::empty_polls, "polls that returned nothing",
     Unit::Events},
    {"busy_cycles", &DispatchStats::busy_cycles, &DispatchCounters::busy_cycles,
     "TSC cycles of dispatch steps that took packets: device RX, classification and the hand-off to the rings",
     Unit::Cycles},
};

inline constexpr CounterField<PortStats, NoCounters> kPortFields[] = {
    {"ipackets", &PortStats::ipackets, nullptr, "packets the device received", Unit::Packets},
    {"opackets", &PortStats::opackets, nullptr, "packets the device sent", Unit::Packets},
    {"ibytes", &PortStats::ibytes, nullptr, "bytes received", Unit::Bytes},
    {"obytes", &PortStats::obytes, nullptr, "bytes sent", Unit::Bytes},
    {"imissed", &PortStats::imissed, nullptr, "packets the device dropped: its RX queue was full", Unit::Packets},
    {"ierrors", &PortStats::ierrors, nullptr, "erroneous packets received", Unit::Packets},
    {"oerrors", &PortStats::oerrors, nullptr, "packets the device failed to send", Unit::Packets},
    {"rx_nombuf", &PortStats::rx_nombuf, nullptr, "RX mbuf allocation failures (the pool ran dry)", Unit::Events},
};

// Reads every field of `fields` from the lcore-written counters into `out`.
template <class Stats, class Counters, size_t N>
void read_fields(const CounterField<Stats, Counters> (&fields)[N], const Counters& c, Stats* out) {
  for (const auto& f : fields) out->*f.value = (c.*f.source).get();
}
template <class Stats, class Counters, size_t N>
void add_fields(const CounterField<Stats, Counters> (&fields)[N], const Stats& from, Stats* to) {
  for (const auto& f : fields) to->*f.value += from.*f.value;
}

struct StatsSnapshot {
  struct Queue {
    std::string port;
    uint16_t queue = 0;
    unsigned lcore = 0;
    // The device RX queue whose dispatcher feeds this logical queue's ring
    // (software steering: one row per ring); -1 on a device queue.
    int via_dispatch = -1;
    QueueStats s;
  };
  struct Lcore : LcoreStats {
    unsigned lcore = 0;
    QueueStats total;  // sum of its queues
  };
  struct Port : PortStats {
    std::string name;
    std::vector<std::pair<std::string, uint64_t>> xstats;  // non-zero ones
  };
  struct Pool {
    std::string name;
    int socket = 0;
    unsigned size = 0, in_use = 0, avail = 0;
  };
  struct Dispatcher : DispatchStats {
    std::string port;
    uint16_t queue = 0;  // device RX queue
    unsigned lcore = 0;
  };
  std::vector<Queue> queues;
  std::vector<Lcore> lcores;
  std::vector<Port> ports;
  std::vector<Pool> pools;
  std::vector<Dispatcher> dispatchers;
  uint64_t tsc_hz = 0;
};

// Fixed-width table of a snapshot, as steerd prints at shutdown and on SIGUSR1.
std::string format_stats(const StatsSnapshot& s);

}  // namespace steer
