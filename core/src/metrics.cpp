#include "steer/metrics.h"

#include <cstring>
#include <sstream>

namespace steer {

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++buckets[i];
  sum += v;
  ++count;
}

void ChangeHistograms::observe(const ChangeReport& r) {
  apply_seconds.observe(r.apply_us / 1e6);
  drain_seconds.observe(r.drain_us / 1e6);
  held_packets.observe(double(r.held));
}

std::string metric_name(const char* kind, const char* field, Unit unit) {
  std::string n = std::string("steer_") + kind + "_" + field;
  auto has = [&](const char* w) { return std::strstr(field, w) != nullptr; };
  switch (unit) {
    case Unit::Packets:
      return n + (has("packets") ? "_total" : "_packets_total");
    case Unit::Bytes:
      return n + (has("bytes") ? "_total" : "_bytes_total");
    case Unit::Events:
      return n + "_total";
    case Unit::Cycles: {
      const size_t at = n.rfind("_cycles");
      return (at == std::string::npos ? n : n.substr(0, at)) + "_seconds_total";
    }
  }
  return n;
}

namespace {

std::string escape(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

class Out {
 public:
  void family(const std::string& name, const char* type, const std::string& help) {
    o_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void sample(const std::string& name, const std::string& labels, double v) {
    o_ << name;
    if (!labels.empty()) o_ << "{" << labels << "}";
    o_ << " " << v << "\n";
  }
  void sample(const std::string& name, const std::string& labels, uint64_t v) {
    o_ << name;
    if (!labels.empty()) o_ << "{" << labels << "}";
    o_ << " " << v << "\n";
  }
  void histogram(const std::string& name, const std::string& help, const Histogram& h) {
    family(name, "histogram", help);
    uint64_t cum = 0;
    for (size_t i = 0; i < h.bounds.size(); ++i) {
      cum += h.buckets[i];
      std::ostringstream le;
      le << h.bounds[i];
      sample(name + "_bucket", "le=\"" + le.str() + "\"", cum);
    }
    sample(name + "_bucket", "le=\"+Inf\"", h.count);
    sample(name + "_sum", "", h.sum);
    sample(name + "_count", "", h.count);
  }
  std::string str() const { return o_.str(); }

 private:
  std::ostringstream o_;
};

std::string label(const char* k, const std::string& v) {
  return std::string(k) + "=\"" + escape(v) + "\"";
}

// One family per field of `fields`, a sample per row; cycles become seconds.
template <class Row, class Stats, class Counters, size_t N, class Labels>
void counters(Out& out, const char* kind, const CounterField<Stats, Counters> (&fields)[N],
              const std::vector<Row>& rows, uint64_t tsc_hz, Labels labels) {
  if (rows.empty()) return;
  for (const auto& f : fields) {
    const std::string name = metric_name(kind, f.name, f.unit);
    out.family(name, "counter", f.help);
    for (const Row& r : rows) {
      const uint64_t v = static_cast<const Stats&>(r).*f.value;
      if (f.unit == Unit::Cycles)
        out.sample(name, labels(r), tsc_hz ? double(v) / double(tsc_hz) : 0.0);
      else
        out.sample(name, labels(r), v);
    }
  }
}

}  // namespace

std::string render_metrics(const StatsSnapshot& s, const std::vector<double>& busy,
                           const std::vector<SteeringGauge>& steering, const ChangeHistograms& h) {
  Out out;
  struct QRow : QueueStats {
    std::string labels;
  };
  std::vector<QRow> qrows;
  for (const auto& q : s.queues) {
    QRow r;
    static_cast<QueueStats&>(r) = q.s;
    r.labels = label("port", q.port) + "," + label("queue", std::to_string(q.queue)) + "," +
               label("lcore", std::to_string(q.lcore)) + "," +
               label("dispatch_rx", q.via_dispatch >= 0 ? std::to_string(q.via_dispatch) : "");
    qrows.push_back(std::move(r));
  }
  counters(out, "queue", kQueueFields, qrows, s.tsc_hz, [](const QRow& r) { return r.labels; });
  counters(out, "lcore", kLcoreFields, s.lcores, s.tsc_hz,
           [](const StatsSnapshot::Lcore& l) { return label("lcore", std::to_string(l.lcore)); });
  const auto dispatcher_labels = [](const StatsSnapshot::Dispatcher& d) {
    return label("port", d.port) + "," + label("queue", std::to_string(d.queue)) + "," +
           label("lcore", std::to_string(d.lcore));
  };
  counters(out, "dispatcher", kDispatchFields, s.dispatchers, s.tsc_hz, dispatcher_labels);
  if (!s.dispatchers.empty()) {
    out.family("steer_dispatcher_cycles_per_packet", "gauge",
               "TSC cycles per packet taken (busy_cycles / rx since start): the dispatcher's cost, as in the table");
    for (const auto& d : s.dispatchers)
      out.sample("steer_dispatcher_cycles_per_packet", dispatcher_labels(d),
                 d.rx ? double(d.busy_cycles) / double(d.rx) : 0.0);
  }
  counters(out, "port", kPortFields, s.ports, s.tsc_hz,
           [](const StatsSnapshot::Port& p) { return label("port", p.name); });

  if (!busy.empty()) {
    out.family("steer_lcore_busy_ratio", "gauge", "share of TSC cycles spent moving packets since the last scrape");
    for (size_t i = 0; i < s.lcores.size() && i < busy.size(); ++i)
      out.sample("steer_lcore_busy_ratio", label("lcore", std::to_string(s.lcores[i].lcore)), busy[i]);
  }
  if (!s.pools.empty()) {
    out.family("steer_mempool_mbufs", "gauge", "mbufs in the pool");
    for (const auto& p : s.pools) out.sample("steer_mempool_mbufs", label("pool", p.name), uint64_t(p.size));
    out.family("steer_mempool_in_use_mbufs", "gauge", "mbufs taken from the pool (on lcores, rings, devices)");
    for (const auto& p : s.pools) out.sample("steer_mempool_in_use_mbufs", label("pool", p.name), uint64_t(p.in_use));
    out.family("steer_mempool_headroom_ratio", "gauge", "share of the pool still free");
    for (const auto& p : s.pools)
      out.sample("steer_mempool_headroom_ratio", label("pool", p.name), p.size ? double(p.avail) / p.size : 0.0);
  }
  if (!steering.empty()) {
    out.family("steer_steering_generation", "gauge", "live changes applied to the port's steering");
    for (const auto& g : steering) out.sample("steer_steering_generation", label("port", g.port), g.generation);
    out.family("steer_steering_rules", "gauge", "steering rules installed");
    for (const auto& g : steering) out.sample("steer_steering_rules", label("port", g.port), uint64_t(g.rules));
    out.family("steer_steering_reta_entries", "gauge", "entries in the RSS redirection table");
    for (const auto& g : steering)
      out.sample("steer_steering_reta_entries", label("port", g.port), uint64_t(g.reta_size));
    out.family("steer_steering_info", "gauge", "the steering backend chosen at start (value 1)");
    for (const auto& g : steering)
      out.sample("steer_steering_info", label("port", g.port) + "," + label("backend", g.backend), uint64_t(1));
  }
  out.histogram("steer_change_apply_seconds", "time to apply a live change (publish or device calls)", h.apply_seconds);
  out.histogram("steer_change_drain_seconds", "time a live change drained moved flows", h.drain_seconds);
  out.histogram("steer_change_held_packets", "packets held by a live change's drain", h.held_packets);
  return out.str();
}

}  // namespace steer
