// steerctl apply -f FILE [--dry-run] [--expect-generation PORT=GEN], get running,
// diff [-f FILE] [--exit-code], save [FILE]
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "commands.h"
#include "output.h"
#include "steer/atomic_file.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct ConfigOptions {
  std::string file, what;
  bool dry_run = false, exit_code = false;
  std::vector<std::string> expect;
};

// `steerctl diff --exit-code` when the running deployment differs from the file.
constexpr int kDiffers = 7;

// What a plan changes, one line per part: ~ changed, + added, - removed.
// Returns whether any port changes.
bool print_plan(const google::protobuf::RepeatedPtrField<pb::PortPlan>& plan, const char* verb) {
  bool any = false;
  for (const auto& p : plan) {
    if (!p.changes()) continue;
    any = true;
    std::printf("%s port %s:\n", verb, p.port().c_str());
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
  return any;
}

std::string generations(const google::protobuf::Map<std::string, uint64_t>& g) {
  std::map<std::string, uint64_t> sorted(g.begin(), g.end());
  std::string s;
  for (const auto& [port, gen] : sorted)
    s.append(s.empty() ? "" : ", ").append(port).append(" at generation ").append(std::to_string(gen));
  return s.empty() ? "no steered port" : s;
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
  if (!print_plan(r.plan(), o.dry_run ? "would change" : "changed"))
    std::printf("no changes: the file matches the running deployment\n");
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

// The running deployment against steerd's file (read by steerd now) or -f FILE.
int diff(Session& s, std::shared_ptr<grpc::Channel> ch, const ConfigOptions& o) {
  pb::DiffRequest req;
  if (!o.file.empty()) {
    std::ifstream in(o.file);
    std::stringstream buf;
    buf << in.rdbuf();
    req.set_yaml(buf.str());
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::DiffResponse r;
  if (auto st = pb::Config::NewStub(ch)->Diff(&ctx, req, &r); !st.ok()) return fail(st);
  const std::string file = o.file.empty() ? r.file() : o.file;
  if (!s.table()) {
    print_json(s, r);
  } else if (!r.differs()) {
    std::printf("running matches %s (%s)\n", file.c_str(), generations(r.generations()).c_str());
  } else {
    std::printf("%s", r.diff().c_str());
    std::printf("\nrunning: %s\n", generations(r.generations()).c_str());
    if (!r.reload_refused().empty())
      std::printf("applying %s would be refused: %s\n", file.c_str(), r.reload_refused().c_str());
    else if (!print_plan(r.reload_plan(), "applying the file (a reload) would change"))
      std::printf("applying %s would change no steering (what differs is not steering)\n", file.c_str());
    std::printf("steerctl save %s writes the running deployment over it; a reload goes back to it\n", file.c_str());
  }
  return o.exit_code && r.differs() ? kDiffers : 0;
}

// Keeps the old file as PATH.bak (a hard link), then replaces PATH atomically
// with its mode (steer/atomic_file.h).
bool write_atomically(const std::string& path, const std::string& text, std::string* why) {
  struct stat old {};
  const bool existed = ::stat(path.c_str(), &old) == 0;
  if (existed) {
    const std::string bak = path + ".bak";
    ::unlink(bak.c_str());
    if (::link(path.c_str(), bak.c_str()) != 0)
      std::fprintf(stderr, "steerctl: could not keep the old file as %s: %s\n", bak.c_str(), std::strerror(errno));
  }
  return steer::replace_file(path, text, existed ? (old.st_mode & 07777) : 0644, why);
}

// The running deployment written to FILE, or to the file steerd runs.
int save(Session&, std::shared_ptr<grpc::Channel> ch, const ConfigOptions& o) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Session::deadline());
  pb::RunningConfig r;
  if (auto st = pb::Config::NewStub(ch)->GetRunning(&ctx, {}, &r); !st.ok()) return fail(st);
  const std::string path = o.file.empty() ? r.file() : o.file;
  if (path.empty())
    return usage("save: steerd runs the embedded demo deployment; name the file to write: steerctl save FILE");
  char when[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const std::string text = std::string("# steerd's running deployment, written by steerctl save at ") + when + "\n# (" +
                           generations(r.generations()) + "). The file it replaced is " + path + ".bak.\n" + r.yaml();
  std::string why;
  if (!write_atomically(path, text, &why)) {
    std::fprintf(stderr, "steerctl: save: %s\n", why.c_str());
    return 1;
  }
  std::printf("saved the running deployment to %s (%s)\n", path.c_str(), generations(r.generations()).c_str());
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
  auto* d = app.add_subcommand("diff", "show how the running deployment differs from its file (or -f FILE)");
  d->add_option("-f,--file", o.file, "compare with this file instead of the one steerd runs")->check(CLI::ExistingFile);
  d->add_flag("--exit-code", o.exit_code, "exit 7 when they differ (0 when they match)");
  d->callback(runs(s, [&s](auto ch) { return diff(s, ch, o); }));
  auto* sv = app.add_subcommand("save", "write the running deployment to a file atomically (default: steerd's own)");
  sv->add_option("file", o.file, "where to write (default: the file steerd was started from)");
  sv->callback(runs(s, [&s](auto ch) { return save(s, ch, o); }));
}

}  // namespace steerctl
