// steerctl top [--interval MS] [--count N] [--no-clear]: the dataplane's
// rates, refreshed like top: per queue packets/s in and out, drops/s, per
// lcore busy %, per port rx_nombuf/s and imissed/s, per dispatcher ring_full/s,
// and the last change reports. Rates are WatchStats deltas over the interval.
#include <ctime>

#include "commands.h"
#include "convert.h"
#include "output.h"
#include "steer/stats.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct TopOptions {
  uint32_t interval_ms = 1000, count = 0;
  bool no_clear = false;
};

void frame(const steer::StatsSnapshot& d, double seconds, const pb::ListReportsResponse& reports, bool clear) {
  auto rate = [&](uint64_t v) { return double(v) / seconds; };
  if (clear) std::printf("\033[H\033[2J");
  char when[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&now));
  std::printf("steerd top  %s  every %.1f s (rates per second)\n\n", when, seconds);
  std::printf("%-10s %5s %5s %12s %12s %10s %10s %10s\n", "queue", "lcore", "via", "rx/s", "tx/s", "drop/s",
              "unbacked/s", "reordered");
  for (const auto& q : d.queues) {
    const std::string id = q.port + ":" + std::to_string(q.queue);
    const std::string via = q.via_dispatch >= 0 ? "rx" + std::to_string(q.via_dispatch) : "-";
    std::printf("%-10s %5u %5s %12.0f %12.0f %10.0f %10.0f %10llu\n", id.c_str(), q.lcore, via.c_str(), rate(q.s.rx),
                rate(q.s.tx), rate(q.s.tx_dropped + q.s.dropped), rate(q.s.unbacked),
                (unsigned long long)q.s.reordered);
  }
  std::printf("\n%-6s %7s %12s %10s\n", "lcore", "busy%", "loops/s", "sleeps/s");
  for (const auto& l : d.lcores) {
    const uint64_t cycles = l.busy_cycles + l.idle_cycles;
    std::printf("%-6u %6.1f%% %12.0f %10.0f\n", l.lcore, cycles ? 100.0 * double(l.busy_cycles) / double(cycles) : 0.0,
                rate(l.loops), rate(l.sleeps));
  }
  if (!d.dispatchers.empty()) {
    std::printf("\n%-10s %5s %12s %12s %10s\n", "dispatch", "lcore", "rx/s", "ring_full/s", "held/s");
    for (const auto& x : d.dispatchers) {
      const std::string id = x.port + ":rx" + std::to_string(x.queue);
      std::printf("%-10s %5u %12.0f %12.0f %10.0f\n", id.c_str(), x.lcore, rate(x.rx), rate(x.ring_full), rate(x.held));
    }
  }
  std::printf("\n%-10s %12s %12s %12s %12s\n", "port", "rx/s", "tx/s", "rx_nombuf/s", "imissed/s");
  for (const auto& p : d.ports)
    std::printf("%-10s %12.0f %12.0f %12.0f %12.0f\n", p.name.c_str(), rate(p.ipackets), rate(p.opackets),
                rate(p.rx_nombuf), rate(p.imissed));
  std::printf("\nlast changes:\n");
  const int n = reports.reports_size();
  if (n == 0) std::printf("  none\n");
  for (int i = std::max(0, n - 3); i < n; ++i) {
    const auto& r = reports.reports(i);
    std::printf("  change %llu on %s: generation %llu, %u bucket(s) moved, drain %.1f us, held %llu, timeouts %llu\n",
                (unsigned long long)r.id(), r.port().c_str(), (unsigned long long)r.generation(), r.buckets_moved(),
                r.drain_us(), (unsigned long long)r.held(), (unsigned long long)r.timeouts());
  }
}

int top(Session& s, std::shared_ptr<grpc::Channel> ch, const TopOptions& o) {
  auto stats = pb::Stats::NewStub(ch);
  auto steering = pb::SteeringService::NewStub(ch);
  grpc::ClientContext ctx;
  pb::WatchStatsRequest req;
  req.set_interval_ms(std::max<uint32_t>(o.interval_ms, 100));  // steerd's own floor
  const double seconds = req.interval_ms() / 1000.0;
  return follow<pb::StatsSnapshot>(ctx, stats->WatchStats(&ctx, req), o.count, [&](const pb::StatsSnapshot& delta) {
    pb::ListReportsResponse reports;
    grpc::ClientContext rctx;
    rctx.set_deadline(Session::deadline());
    (void)steering->ListReports(&rctx, {}, &reports);  // the rates stand without them
    frame(steer::rpc::from_proto(delta), seconds, reports, !o.no_clear && s.table());
  });
}

}  // namespace

void add_top(CLI::App& app, Session& s) {
  static TopOptions o;
  auto* c = app.add_subcommand("top", "live rates per queue, lcore, dispatcher and port, and the last changes");
  c->add_option("--interval", o.interval_ms, "refresh every this many ms (at least 100)");
  c->add_option("--count", o.count, "stop after this many screens");
  c->add_flag("--no-clear", o.no_clear, "print screens one after another instead of redrawing");
  c->callback(runs(s, [&s](auto ch) { return top(s, ch, o); }));
}

}  // namespace steerctl
