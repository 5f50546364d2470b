// steerctl flow list | add | replace | del | load | unload. A rule's flags are
// its fields as steer/text.h names them (--tcp-dst for tcp_dst), read with the
// same set_rule_field as YAML and the API; load reads a file of rules as a
// deployment writes them and streams them in changes; unload removes the
// rules such a file names, the same way.
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "commands.h"
#include "config.h"
#include "convert.h"
#include "output.h"
#include "steer/steering.h"
#include "steer/text.h"
#include "steering_calls.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct FlowOptions {
  std::string port, name, file;
  uint32_t priority = 0;
  std::map<std::string, std::string> fields;  // rule field -> text, as given
  bool drop = false;
  int64_t expect_gen = -1;
  uint32_t per_change = 1000;
  bool unload = false;  // load: remove the file's rules by name instead
};

std::string flag_of(std::string key) {
  for (char& c : key)
    if (c == '_') c = '-';
  return "--" + key;
}

int list(Session& s, std::shared_ptr<grpc::Channel> ch, const FlowOptions& o) {
  pb::Steering st;
  if (int rc = get_steering(ch, o.port, &st)) return rc;
  if (!s.table()) {
    pb::Steering only;
    *only.mutable_flows() = st.flows();
    return print_json(s, only), 0;
  }
  std::printf("%-16s %8s  %s\n", "name", "priority", "match -> action");
  for (const auto& f : st.flows()) {
    steer::FlowRule r;
    if (auto e = steer::rpc::from_proto(f, "flows", &r); !e.ok()) return fail(e);
    std::printf("%-16s %8u%s\n", r.name.c_str(), r.priority, steer::format_rule(r).c_str());
  }
  return 0;
}

int add(Session& s, std::shared_ptr<grpc::Channel> ch, const FlowOptions& o) {
  steer::FlowRule r{o.name, o.priority, {}, {}};
  for (const auto& [key, text] : o.fields)
    if (!text.empty())
      if (std::string why = steer::set_rule_field(&r, key, text); !why.empty()) return usage(flag_of(key) + ": " + why);
  r.action.drop = o.drop;
  pb::ChangeRequest req;
  steer::rpc::to_proto(r, req.add_add());
  return send_change(s, ch, req, o.port, o.expect_gen);
}

// The file's rules on one ChangeStream, `per_change` to a change (each
// atomic), the changes in flight back to back and applied in order: added
// (or replaced), or with o.unload removed by name. The first refused change
// ends it: the ones before it stay applied, none after it is read (the error
// says which).
int load(Session& s, std::shared_ptr<grpc::Channel> ch, const FlowOptions& o) {
  std::ifstream in(o.file);
  if (!in) return usage(o.file + ": cannot open the file");
  const steer::RulesFile f = steer::load_rules(in, o.file);
  for (const std::string& e : f.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!f.errors.empty()) return 3;
  if (f.rules.empty()) return usage(o.file + ": no rules in the file");
  std::vector<pb::ChangeRequest> reqs;
  for (size_t first = 0; first < f.rules.size(); first += o.per_change) {
    pb::ChangeRequest& req = reqs.emplace_back();
    req.set_port(o.port);
    if (first == 0 && o.expect_gen >= 0) req.set_expected_generation(uint64_t(o.expect_gen));
    for (size_t i = first; i < std::min(f.rules.size(), first + o.per_change); ++i)
      if (o.unload)
        req.add_remove(f.rules[i].name);
      else
        steer::rpc::to_proto(f.rules[i], req.add_add());
  }
  grpc::ClientContext ctx;  // no deadline: a stream of many changes takes what it takes
  const auto t0 = std::chrono::steady_clock::now();
  auto stream = pb::SteeringService::NewStub(ch)->ChangeStream(&ctx);
  std::thread writer([&] {
    for (const auto& req : reqs)
      if (!stream->Write(req)) break;
    stream->WritesDone();
  });
  pb::ListReportsResponse done;
  for (pb::ChangeReport rep; stream->Read(&rep);) *done.add_reports() = rep;
  writer.join();
  const grpc::Status st = stream->Finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t n = size_t(done.reports_size());
  const size_t applied = std::min(f.rules.size(), n * o.per_change);
  if (!st.ok()) {
    const std::string kept = n ? "the " + std::to_string(applied) + " before them (" + std::to_string(n) +
                                     " change(s)) stay applied, " + o.port + " at generation " +
                                     std::to_string(done.reports(int(n) - 1).generation())
                               : "nothing was applied";
    std::fprintf(stderr, "%s: the change of rules %zu-%zu of %s was refused and none after it applied; %s\n",
                 o.port.c_str(), applied + 1, std::min(f.rules.size(), applied + o.per_change), o.file.c_str(),
                 kept.c_str());
    return fail(st);
  }
  if (!s.table()) return print_json(s, done), 0;
  std::printf("%s: %zu rule(s) %sin %zu change(s), generation %llu, %.2f s\n", o.port.c_str(), f.rules.size(),
              o.unload ? "removed " : "", n, n ? (unsigned long long)done.reports(int(n) - 1).generation() : 0ULL,
              secs);
  return 0;
}

}  // namespace

void add_flow(CLI::App& app, Session& s) {
  static FlowOptions o;
  auto* flow = app.add_subcommand("flow", "list, add, replace or delete flow rules, or load or unload a file of them");
  flow->require_subcommand(1);
  auto* list_cmd = flow->add_subcommand("list", "rules of a port");
  list_cmd->add_option("port", o.port)->required();
  list_cmd->callback(runs(s, [&s](auto ch) { return list(s, ch, o); }));

  for (auto* c : {flow->add_subcommand("add", "add a rule (an existing name is replaced)"),
                  flow->add_subcommand("replace", "replace a rule by name")}) {
    c->add_option("port", o.port)->required();
    c->add_option("name", o.name)->required();
    c->add_option("--priority", o.priority, "lower wins")->required();
    for (const auto* keys : {&steer::kRuleMatchKeys, &steer::kRuleActionKeys})
      for (const std::string& key : *keys)
        if (key != "drop") c->add_option(flag_of(key), o.fields[key]);
    c->add_flag("--drop", o.drop);
    c->add_option("--expect-generation", o.expect_gen);
    c->callback(runs(s, [&s](auto ch) { return add(s, ch, o); }));
  }

  auto* ld = flow->add_subcommand(
      "load", "add or replace the rules of a file (a deployment's flows list), in changes of --per-change rules");
  auto* ul = flow->add_subcommand(
      "unload", "delete the rules a file names (a file flow load takes), in changes of --per-change rules");
  for (auto* c : {ld, ul}) {
    c->add_option("port", o.port)->required();
    c->add_option("file", o.file, "YAML: a list of rules as under steering.flows, or flows: [...]")->required();
    c->add_option("--per-change", o.per_change, "rules per change; each change is applied whole or not at all")
        ->check(CLI::Range(1u, uint32_t(steer::kMaxRules)));
    c->add_option("--expect-generation", o.expect_gen, "the port's generation before the first change");
  }
  ld->callback(runs(s, [&s](auto ch) { return load(s, ch, o); }));
  ul->callback(runs(s, [&s](auto ch) {
    o.unload = true;
    return load(s, ch, o);
  }));

  auto* del = flow->add_subcommand("del", "delete a rule by name");
  del->add_option("port", o.port)->required();
  del->add_option("name", o.name)->required();
  del->add_option("--expect-generation", o.expect_gen);
  del->callback(runs(s, [&s](auto ch) {
    pb::ChangeRequest req;
    req.add_remove(o.name);
    return send_change(s, ch, req, o.port, o.expect_gen);
  }));
}

}  // namespace steerctl
