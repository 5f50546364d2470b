// steerctl stats [--watch MS [--count N]], events [--count N], reports
#include "commands.h"
#include "convert.h"
#include "output.h"
#include "steer/stats.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct StatsOptions {
  uint32_t watch_ms = 0, count = 0;
};

// The same table steerd prints (steer/stats.h), from the proto.
void show(const Session& s, const pb::StatsSnapshot& snap) {
  if (!s.table()) return print_json(s, snap);
  std::printf("%s", steer::format_stats(steer::rpc::from_proto(snap)).c_str());
}

int stats(Session& s, std::shared_ptr<grpc::Channel> ch, const StatsOptions& o) {
  auto stub = pb::Stats::NewStub(ch);
  grpc::ClientContext ctx;
  if (!o.watch_ms) {
    ctx.set_deadline(Session::deadline());
    pb::StatsSnapshot snap;
    if (auto st = stub->GetStats(&ctx, {}, &snap); !st.ok()) return fail(st);
    show(s, snap);
    return 0;
  }
  pb::WatchStatsRequest req;
  req.set_interval_ms(o.watch_ms);
  return follow<pb::StatsSnapshot>(ctx, stub->WatchStats(&ctx, req), o.count,
                                   [&s](const pb::StatsSnapshot& snap) { show(s, snap); });
}

int events(Session& s, std::shared_ptr<grpc::Channel> ch, const StatsOptions& o) {
  grpc::ClientContext ctx;
  return follow<pb::Event>(ctx, pb::Events::NewStub(ch)->WatchEvents(&ctx, {}), o.count, [&s](const pb::Event& e) {
    if (!s.table())
      print_json(s, e);
    else if (e.has_change())
      print_report(s, e.change());
    else if (e.has_link())
      std::printf("link %s %s %u Mb/s\n", e.link().port().c_str(), e.link().up() ? "up" : "down",
                  e.link().speed_mbps());
  });
}

int reports(Session& s, std::shared_ptr<grpc::Channel> ch) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::ListReportsResponse r;
  if (auto st = pb::SteeringService::NewStub(ch)->ListReports(&ctx, {}, &r); !st.ok()) return fail(st);
  if (!s.table()) return print_json(s, r), 0;
  for (const auto& x : r.reports()) print_report(s, x);
  return 0;
}

}  // namespace

void add_stats(CLI::App& app, Session& s) {
  static StatsOptions o;
  auto* st = app.add_subcommand("stats", "counters; --watch streams deltas");
  st->add_option("--watch", o.watch_ms, "interval in ms: print deltas until interrupted (or --count)");
  st->add_option("--count", o.count, "stop after this many deltas");
  st->callback(runs(s, [&s](auto ch) { return stats(s, ch, o); }));
  auto* ev = app.add_subcommand("events", "stream change reports as they happen");
  ev->add_option("--count", o.count, "stop after this many events");
  ev->callback(runs(s, [&s](auto ch) { return events(s, ch, o); }));
  app.add_subcommand("reports", "the last change reports")->callback(runs(s, [&s](auto ch) { return reports(s, ch); }));
}

}  // namespace steerctl
