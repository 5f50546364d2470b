// steerctl apply -f FILE [--dry-run] [--expect-generation PORT=GEN], get running
#include <fstream>
#include <sstream>

#include "commands.h"
#include "output.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct ConfigOptions {
  std::string file, what;
  bool dry_run = false;
  std::vector<std::string> expect;
};

// What a plan changes, one line per part: ~ changed, + added, - removed.
void print_plan(const pb::ApplyResponse& r, bool dry_run) {
  bool any = false;
  for (const auto& p : r.plan()) {
    if (!p.changes()) continue;
    any = true;
    std::printf("%s port %s:\n", dry_run ? "would change" : "changed", p.port().c_str());
    if (p.key_changed()) std::printf("  ~ rss.key\n");
    if (p.types_changed()) std::printf("  ~ rss.types\n");
    if (p.reta_changed()) {
      // Appended piece by piece: `" " + std::to_string(q)` trips GCC 12's
      // -Wrestrict false positive at -O3 (PR 105329).
      std::string l, g;
      for (auto q : p.losers()) l.append(" ").append(std::to_string(q));
      for (auto q : p.gainers()) g.append(" ").append(std::to_string(q));
      std::printf("  ~ rss.reta: %u bucket(s) move, from queues%s to queues%s\n", p.buckets_moved(), l.c_str(),
                  g.c_str());
    }
    for (const auto& n : p.rules_added()) std::printf("  + flow %s\n", n.c_str());
    for (const auto& n : p.rules_replaced()) std::printf("  ~ flow %s\n", n.c_str());
    for (const auto& n : p.rules_removed()) std::printf("  - flow %s\n", n.c_str());
  }
  if (!any) std::printf("no changes: the file matches the running deployment\n");
}

int apply(Session& s, std::shared_ptr<grpc::Channel> ch, const ConfigOptions& o) {
  std::ifstream in(o.file);
  std::stringstream buf;
  buf << in.rdbuf();
  pb::ApplyRequest req;
  req.set_yaml(buf.str());
  req.set_dry_run(o.dry_run);
  for (const auto& e : o.expect) {
    const size_t eq = e.find('=');
    if (eq == std::string::npos || eq + 1 == e.size() || e.find_first_not_of("0123456789", eq + 1) != std::string::npos)
      return usage("--expect-generation " + e + ": write PORT=GENERATION");
    (*req.mutable_expected_generation())[e.substr(0, eq)] = std::stoull(e.substr(eq + 1));
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::ApplyResponse r;
  if (auto st = pb::Config::NewStub(ch)->Apply(&ctx, req, &r); !st.ok()) return fail(st);
  if (!s.table()) return print_json(s, r), 0;
  print_plan(r, o.dry_run);
  for (const auto& rep : r.reports()) print_report(s, rep);
  return 0;
}

int get(Session& s, std::shared_ptr<grpc::Channel> ch) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::RunningConfig r;
  if (auto st = pb::Config::NewStub(ch)->GetRunning(&ctx, {}, &r); !st.ok()) return fail(st);
  if (s.output == "json")
    print_json(s, r);
  else
    std::printf("%s", r.yaml().c_str());
  return 0;
}

}  // namespace

void add_config(CLI::App& app, Session& s) {
  static ConfigOptions o;
  auto* ap = app.add_subcommand("apply", "apply a deployment file: its steering changes go live");
  ap->add_option("-f,--file", o.file, "deployment YAML")->required()->check(CLI::ExistingFile);
  ap->add_flag("--dry-run", o.dry_run, "print what would change and which buckets move; change nothing");
  ap->add_option("--expect-generation", o.expect, "PORT=GENERATION: refuse unless the port is there");
  ap->callback(runs(s, [&s](auto ch) { return apply(s, ch, o); }));
  auto* g = app.add_subcommand("get", "show running configuration");
  g->add_option("what", o.what, "running")->required()->check(CLI::IsMember({"running"}));
  g->callback(runs(s, [&s](auto ch) { return get(s, ch); }));
}

}  // namespace steerctl
