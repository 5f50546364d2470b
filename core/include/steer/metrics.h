// The Prometheus text exposition (format 0.0.4) of a stats snapshot, the
// steering state and the change histograms. Every counter family comes from
// the counter tables in stats.h (the same ones the CLI table and the proto
// iterate), named steer_<kind>_<name> with its base unit: _packets_total,
// _bytes_total, _total for events, _seconds_total for TSC cycles.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "steer/change.h"
#include "steer/stats.h"

namespace steer {

// A histogram with fixed upper bounds (cumulative on output).
struct Histogram {
  std::vector<double> bounds;     // ascending; +Inf is implied
  std::vector<uint64_t> buckets;  // per bound, not cumulative; one more for +Inf
  double sum = 0;
  uint64_t count = 0;
  explicit Histogram(std::vector<double> b) : bounds(std::move(b)), buckets(bounds.size() + 1, 0) {}
  void observe(double v);
};

// Per applied change: apply and drain time (seconds), packets held.
struct ChangeHistograms {
  Histogram apply_seconds{{1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1}};
  Histogram drain_seconds{{1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1}};
  Histogram held_packets{{0, 10, 100, 1000, 10000, 100000}};
  void observe(const ChangeReport& r);
};

struct SteeringGauge {
  std::string port, backend;
  uint64_t generation = 0;
  size_t rules = 0, reta_size = 0;
};

// busy: per lcore, the busy share of TSC cycles since the previous scrape
// (same order as snapshot.lcores; empty: not known yet).
std::string render_metrics(const StatsSnapshot& s, const std::vector<double>& busy,
                           const std::vector<SteeringGauge>& steering, const ChangeHistograms& h);

// The metric name a counter field gets (tests and docs).
std::string metric_name(const char* kind, const char* field, Unit unit);

}  // namespace steer
