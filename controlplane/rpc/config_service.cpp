#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "../config/config.h"
#include "convert.h"
#include "log.h"
#include "services.h"
#include "steer/line_diff.h"

namespace steer::rpc {
namespace {

void to_proto(const PortPlan& pp, pb::PortPlan* x) {
  x->set_port(pp.port);
  x->set_changes(pp.changes);
  x->set_key_changed(pp.key_changed);
  x->set_types_changed(pp.types_changed);
  x->set_reta_changed(pp.reta_changed);
  for (const auto& n : pp.added) x->add_rules_added(n);
  for (const auto& n : pp.removed) x->add_rules_removed(n);
  for (const auto& n : pp.replaced) x->add_rules_replaced(n);
  x->set_buckets_moved(pp.would.buckets_moved);
  for (auto q : pp.would.losers) x->add_losers(q);
  for (auto q : pp.would.gainers) x->add_gainers(q);
}

grpc::Status invalid(const ConfigResult& r) {
  std::string msg;
  for (const auto& e : r.errors) msg += (msg.empty() ? "" : "; ") + e;
  return {grpc::StatusCode::INVALID_ARGUMENT, msg};
}

// The running deployment, with the log levels as set now (the API may have
// changed them).
Deployment running_now(const Context& m) {
  Deployment running = m.ctl.running();
  running.log = log::levels();
  return running;
}

template <typename Map>
void put_generations(const Context& m, Map* out) {
  for (const auto& p : m.d.ports)
    if (p.steering) (*out)[p.name] = m.dp.generation(p.name);
}

}  // namespace

grpc::Status ConfigService::GetRunning(grpc::ServerContext*, const pb::GetRunningRequest*, pb::RunningConfig* out) {
  out->set_yaml(to_yaml(running_now(m)));
  out->set_file(m.config_file);
  put_generations(m, out->mutable_generations());
  return grpc::Status::OK;
}

grpc::Status ConfigService::Apply(grpc::ServerContext*, const pb::ApplyRequest* req, pb::ApplyResponse* out) {
  std::istringstream in(req->yaml());
  ConfigResult desired = load_config(in, "<apply>");
  if (!desired.ok()) return invalid(desired);
  std::map<std::string, uint64_t> expected(req->expected_generation().begin(), req->expected_generation().end());
  ApplyOutcome r = m.ctl.apply(desired.deployment, req->dry_run(), expected);
  if (!r.errors.empty()) return status_of(r.errors);
  for (const auto& pp : r.plan) to_proto(pp, out->add_plan());
  for (const auto& rep : r.reports) to_proto(rep, out->add_reports());
  return grpc::Status::OK;
}

grpc::Status ConfigService::Diff(grpc::ServerContext*, const pb::DiffRequest* req, pb::DiffResponse* out) {
  ConfigResult file;
  std::string name;
  if (!req->yaml().empty()) {
    name = "<request>";
    std::istringstream in(req->yaml());
    file = load_config(in, name);
  } else if (m.config_file.empty()) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "steerd runs the embedded demo deployment, so there is no file to compare; send one (steerctl diff -f "
            "FILE)"};
  } else {
    name = m.config_file;
    if (!std::ifstream(name))
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "steerd cannot read its file " + name + " (" + std::strerror(errno) + "); make it readable by steerd"};
    file = load_config_file(name);
  }
  if (!file.ok()) return invalid(file);
  const std::string a = to_yaml(file.deployment), b = to_yaml(running_now(m));
  out->set_file(name);
  out->set_differs(a != b);
  out->set_diff(line_diff(a, b, name, "running"));
  ApplyOutcome plan = m.ctl.apply(file.deployment, true);
  if (!plan.errors.empty()) {
    for (const auto& e : plan.errors)
      out->set_reload_refused(out->reload_refused() + (out->reload_refused().empty() ? "" : "; ") +
                              (e.path.empty() ? "" : e.path + ": ") + e.message);
  } else {
    for (const auto& pp : plan.plan) to_proto(pp, out->add_reload_plan());
  }
  put_generations(m, out->mutable_generations());
  return grpc::Status::OK;
}

}  // namespace steer::rpc
