// steerctl log [LEVEL] [--dpdk LEVEL]: show or set steerd's log levels.
#include "commands.h"
#include "output.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct LogOptions {
  std::string level, dpdk;
};

int log_levels(Session& s, std::shared_ptr<grpc::Channel> ch, const LogOptions& o) {
  auto stub = pb::Logging::NewStub(ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::LogLevels out;
  grpc::Status st;
  if (o.level.empty() && o.dpdk.empty()) {
    st = stub->GetLogLevels(&ctx, {}, &out);
  } else {
    pb::LogLevels req;
    req.set_level(o.level);
    req.set_dpdk(o.dpdk);
    st = stub->SetLogLevels(&ctx, req, &out);
  }
  if (!st.ok()) return fail(st);
  if (!s.table()) return print_json(s, out), 0;
  std::printf("level %s\ndpdk  %s\n", out.level().c_str(), out.dpdk().c_str());
  return 0;
}

}  // namespace

void add_log(CLI::App& app, Session& s) {
  static LogOptions o;
  auto* c = app.add_subcommand("log", "show steerd's log levels, or set them (live)");
  c->add_option("level", o.level, "steerd's level: trace, debug, info, warn, error, critical, off");
  c->add_option("--dpdk", o.dpdk, "DPDK's level: emergency, alert, critical, error, warning, notice, info, debug");
  c->callback(runs(s, [&s](auto ch) { return log_levels(s, ch, o); }));
}

}  // namespace steerctl
