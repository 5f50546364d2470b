// The Prometheus endpoint (YAML `metrics: {address: HOST:PORT}`, off when
// absent): GET /metrics answers the text exposition of steer/metrics.h,
// served by civetweb (Debian's libcivetweb) on its own threads, never an
// lcore's. Change histograms are fed by the Controller's change listener.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "steer/dataplane.h"
#include "steer/metrics.h"

struct mg_context;

namespace steer {

class MetricsServer {
 public:
  explicit MetricsServer(const Dataplane& dp) : dp_(dp) {}
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on `address` ("127.0.0.1:9464"); false with a sentence naming
  // metrics.address when it cannot.
  bool start(const std::string& address, std::string* why);
  void stop();
  void on_change(const ChangeReport& r);  // the Controller's listener
  std::string render();                   // what GET /metrics answers

 private:
  const Dataplane& dp_;
  mg_context* ctx_ = nullptr;
  std::mutex mu_;  // histograms and the busy-ratio baseline
  ChangeHistograms hist_;
  std::vector<std::pair<uint64_t, uint64_t>> last_cycles_;  // per lcore: busy, idle at the last scrape
};

}  // namespace steer
