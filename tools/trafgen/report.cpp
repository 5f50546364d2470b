#include "report.h"

#include <cstdio>
#include <sstream>

namespace steer::trafgen {
namespace {

const char* kKeys[] = {"sent",    "received", "lost",    "loss",    "reordered", "duplicated",
                       "foreign", "mpps",     "tx_mpps", "rx_mpps", "gbps",      "p50",
                       "p90",     "p99",      "p999",    "p9999",   "max",       "flows_with_loss"};

std::string num(double v) {
  char b[64];
  if (v == double(uint64_t(v)) && v < 1e18)
    std::snprintf(b, sizeof b, "%llu", (unsigned long long)v);
  else
    std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

}  // namespace

std::optional<double> metric(const Results& r, const std::string& k) {
  const Histogram& h = r.latency_ns;
  if (k == "sent") return double(r.sent);
  if (k == "received") return double(r.received);
  if (k == "lost" || k == "loss") return double(r.lost);
  if (k == "reordered") return double(r.reordered);
  if (k == "duplicated") return double(r.duplicated);
  if (k == "foreign") return double(r.foreign);
  if (k == "mpps" || k == "tx_mpps") return r.tx_mpps;
  if (k == "rx_mpps") return r.rx_mpps;
  if (k == "gbps") return r.tx_gbps;
  if (k == "p50") return double(h.percentile(0.50));
  if (k == "p90") return double(h.percentile(0.90));
  if (k == "p99") return double(h.percentile(0.99));
  if (k == "p999") return double(h.percentile(0.999));
  if (k == "p9999") return double(h.percentile(0.9999));
  if (k == "max") return double(h.max());
  if (k == "flows_with_loss") return double(r.flows_with_loss);
  return std::nullopt;
}

std::optional<std::vector<Expectation>> parse_expect(const std::string& spec, std::string* why) {
  std::vector<Expectation> out;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    size_t at = item.find_first_of("<>=");
    if (at == std::string::npos || at == 0) {
      *why = "\"" + item + "\" is not KEY=VALUE, KEY<=VALUE or KEY>=VALUE";
      return std::nullopt;
    }
    Expectation e;
    e.key = item.substr(0, at);
    size_t v = at + 1;
    if (v < item.size() && item[v] == '=') ++v;
    e.op = item.substr(at, v - at);
    bool known = false;
    for (const char* k : kKeys) known |= e.key == k;
    if (!known) {
      std::string list;
      for (const char* k : kKeys) list += (list.empty() ? "" : ", ") + std::string(k);
      *why = "\"" + e.key + "\" is not a result; use one of " + list;
      return std::nullopt;
    }
    char* end = nullptr;
    const std::string val = item.substr(v);
    e.value = std::strtod(val.c_str(), &end);
    if (val.empty() || *end) {
      *why = "\"" + val + "\" in \"" + item + "\" is not a number";
      return std::nullopt;
    }
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> check_expect(const Results& r, const std::vector<Expectation>& es) {
  std::vector<std::string> failed;
  for (const auto& e : es) {
    const double got = *metric(r, e.key);
    bool ok = e.op == "=" || e.op == "==" ? got == e.value
              : e.op == "<="              ? got <= e.value
              : e.op == ">="              ? got >= e.value
              : e.op == "<"               ? got < e.value
                                          : got > e.value;
    if (!ok) failed.push_back(e.key + "=" + num(got) + " (want " + e.key + e.op + num(e.value) + ")");
  }
  return failed;
}

std::string summary(const Results& r) {
  const Histogram& h = r.latency_ns;
  char b[1024];
  std::string o;
  std::snprintf(b, sizeof b,
                "sent %llu  received %llu  lost %llu (%u of %u flows)  reordered %llu  duplicated %llu  foreign %llu\n",
                (unsigned long long)r.sent, (unsigned long long)r.received, (unsigned long long)r.lost,
                r.flows_with_loss, r.flows, (unsigned long long)r.reordered, (unsigned long long)r.duplicated,
                (unsigned long long)r.foreign);
  o += b;
  std::snprintf(b, sizeof b, "tx %.3f Mpps %.3f Gbps  rx %.3f Mpps %.3f Gbps  over %.3f s\n", r.tx_mpps, r.tx_gbps,
                r.rx_mpps, r.rx_gbps, r.duration_s);
  o += b;
  std::snprintf(
      b, sizeof b, "latency ns: min %llu  p50 %llu  p90 %llu  p99 %llu  p99.9 %llu  p99.99 %llu  max %llu  mean %.0f\n",
      (unsigned long long)h.min(), (unsigned long long)h.percentile(0.5), (unsigned long long)h.percentile(0.9),
      (unsigned long long)h.percentile(0.99), (unsigned long long)h.percentile(0.999),
      (unsigned long long)h.percentile(0.9999), (unsigned long long)h.max(), h.mean());
  o += b;
  for (const auto& q : r.queues) {
    std::snprintf(b, sizeof b, "rx queue %u: %llu packets, %u flows\n", q.queue, (unsigned long long)q.packets,
                  q.flows);
    o += b;
  }
  return o;
}

std::string to_json(const Results& r) {
  const Histogram& h = r.latency_ns;
  std::ostringstream o;
  o << "{\n";
  o << "  \"sent\": " << r.sent << ",\n  \"received\": " << r.received << ",\n  \"lost\": " << r.lost
    << ",\n  \"reordered\": " << r.reordered << ",\n  \"duplicated\": " << r.duplicated
    << ",\n  \"foreign\": " << r.foreign << ",\n  \"flows\": " << r.flows
    << ",\n  \"flows_with_loss\": " << r.flows_with_loss << ",\n  \"duration_s\": " << num(r.duration_s)
    << ",\n  \"mpps\": " << num(r.tx_mpps) << ",\n  \"rx_mpps\": " << num(r.rx_mpps)
    << ",\n  \"gbps\": " << num(r.tx_gbps) << ",\n  \"rx_gbps\": " << num(r.rx_gbps)
    << ",\n  \"tx_bytes\": " << r.tx_bytes << ",\n  \"rx_bytes\": " << r.rx_bytes << ",\n";
  o << "  \"latency_ns\": {\"samples\": " << h.count() << ", \"min\": " << h.min() << ", \"mean\": " << num(h.mean())
    << ", \"p50\": " << h.percentile(0.5) << ", \"p90\": " << h.percentile(0.9) << ", \"p99\": " << h.percentile(0.99)
    << ", \"p999\": " << h.percentile(0.999) << ", \"p9999\": " << h.percentile(0.9999) << ", \"max\": " << h.max()
    << "},\n";
  o << "  \"per_second\": [";
  for (size_t i = 0; i < r.seconds.size(); ++i) {
    const auto& s = r.seconds[i];
    o << (i ? ",\n    " : "\n    ") << "{\"t\": " << num(s.t) << ", \"sent\": " << s.sent
      << ", \"received\": " << s.received << ", \"tx_mpps\": " << num(s.tx_mpps) << ", \"rx_mpps\": " << num(s.rx_mpps)
      << ", \"rx_gbps\": " << num(s.rx_gbps) << "}";
  }
  o << (r.seconds.empty() ? "],\n" : "\n  ],\n");
  o << "  \"rx_queues\": [";
  for (size_t i = 0; i < r.queues.size(); ++i)
    o << (i ? ", " : "") << "{\"queue\": " << r.queues[i].queue << ", \"packets\": " << r.queues[i].packets
      << ", \"flows\": " << r.queues[i].flows << "}";
  o << "]\n}\n";
  return o.str();
}

}  // namespace steer::trafgen
