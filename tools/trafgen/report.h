// steer-trafgen results: the final summary, the JSON file and the --expect
// conditions. Pure; no DPDK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "histogram.h"

namespace steer::trafgen {

struct SecondSample {
  double t = 0;                     // seconds since start
  uint64_t sent = 0, received = 0;  // in that second
  double tx_mpps = 0, rx_mpps = 0, rx_gbps = 0;
};

struct QueueShare {
  uint16_t queue = 0;
  uint64_t packets = 0;
  uint32_t flows = 0;  // distinct flows seen on this RX queue
};

struct Results {
  uint64_t sent = 0, received = 0, lost = 0, reordered = 0, duplicated = 0, foreign = 0;
  uint32_t flows = 0, flows_with_loss = 0;
  uint64_t tx_bytes = 0, rx_bytes = 0;
  double duration_s = 0;  // first TX to last TX
  double tx_mpps = 0, rx_mpps = 0, tx_gbps = 0, rx_gbps = 0;
  Histogram latency_ns;
  std::vector<SecondSample> seconds;
  std::vector<QueueShare> queues;
  bool link_down = false;  // run() failed because a port's link never came up
};

struct Expectation {
  std::string key;  // sent received lost reordered duplicated mpps rx_mpps p50 p90 p99 p999 p9999 max (ns)
  std::string op;   // = == <= >= < >
  double value = 0;
};

// "loss=0,reordered=0,p99<=50000". On error returns nullopt and sets *why.
std::optional<std::vector<Expectation>> parse_expect(const std::string& spec, std::string* why);

// The value a key names in `r` (loss is an alias of lost); nullopt if unknown.
std::optional<double> metric(const Results& r, const std::string& key);

// The failed conditions, each as "lost=12 (want lost=0)"; empty when all hold.
std::vector<std::string> check_expect(const Results& r, const std::vector<Expectation>& e);

std::string summary(const Results& r);
std::string to_json(const Results& r);

}  // namespace steer::trafgen
