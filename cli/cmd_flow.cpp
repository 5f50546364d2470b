// steerctl flow list | add | replace | del. A rule's flags are its fields as
// steer/text.h names them (--tcp-dst for tcp_dst), read with the same
// set_rule_field as YAML and the API.
#include <map>

#include "commands.h"
#include "convert.h"
#include "output.h"
#include "steer/text.h"
#include "steering_calls.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct FlowOptions {
  std::string port, name;
  uint32_t priority = 0;
  std::map<std::string, std::string> fields;  // rule field -> text, as given
  bool drop = false;
  int64_t expect_gen = -1;
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

}  // namespace

void add_flow(CLI::App& app, Session& s) {
  static FlowOptions o;
  auto* flow = app.add_subcommand("flow", "list, add, replace or delete flow rules");
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
