#include "metrics_server.h"

#include <civetweb.h>

#include <cstring>

namespace steer {

namespace {

int handle_metrics(mg_connection* conn, void* self) {
  const std::string body = static_cast<MetricsServer*>(self)->render();
  mg_send_http_ok(conn, "text/plain; version=0.0.4; charset=utf-8", (long long)body.size());
  mg_write(conn, body.data(), body.size());
  return 200;
}

int log_nothing(const mg_connection*, const char*) {
  return 1;  // civetweb's own error lines stay out of the console
}

}  // namespace

MetricsServer::~MetricsServer() {
  stop();
}

bool MetricsServer::start(const std::string& address, std::string* why) {
  mg_init_library(0);
  const char* options[] = {"listening_ports",    address.c_str(), "num_threads", "2",
                           "request_timeout_ms", "5000",          nullptr};
  mg_callbacks cb;
  std::memset(&cb, 0, sizeof cb);
  cb.log_message = log_nothing;
  ctx_ = mg_start(&cb, this, options);
  if (!ctx_) {
    *why = "metrics.address: cannot listen on " + address + " (in use, or not an address of this host); pick another";
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);  // the first scrape's busy ratios run from here
    for (const auto& l : dp_.stats().lcores) last_cycles_.push_back({l.busy_cycles, l.idle_cycles});
  }
  mg_set_request_handler(ctx_, "/metrics$", handle_metrics, this);
  return true;
}

void MetricsServer::stop() {
  if (ctx_) mg_stop(ctx_);
  ctx_ = nullptr;
}

void MetricsServer::on_change(const ChangeReport& r) {
  std::lock_guard<std::mutex> lock(mu_);
  hist_.observe(r);
}

std::string MetricsServer::render() {
  const StatsSnapshot s = dp_.stats();
  std::vector<SteeringGauge> steering;
  for (const auto& p : dp_.ports()) {
    if (!p.steered) continue;
    SteeringGauge g{p.name, to_string(p.backend), dp_.generation(p.name), 0, 0};
    if (auto cfg = dp_.steering(p.name)) {
      g.rules = cfg->flows.size();
      g.reta_size = cfg->rss.reta.size();
    }
    steering.push_back(g);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<double> busy;
  if (last_cycles_.size() == s.lcores.size()) {
    for (size_t i = 0; i < s.lcores.size(); ++i) {
      const uint64_t b = s.lcores[i].busy_cycles - last_cycles_[i].first;
      const uint64_t idle = s.lcores[i].idle_cycles - last_cycles_[i].second;
      busy.push_back(b + idle ? double(b) / double(b + idle) : 0.0);
    }
  }
  last_cycles_.clear();
  for (const auto& l : s.lcores) last_cycles_.push_back({l.busy_cycles, l.idle_cycles});
  return render_metrics(s, busy, steering, hist_);
}

}  // namespace steer
