#include <sstream>

#include "../config/config.h"
#include "convert.h"
#include "log.h"
#include "services.h"

namespace steer::rpc {

grpc::Status ConfigService::GetRunning(grpc::ServerContext*, const pb::GetRunningRequest*, pb::RunningConfig* out) {
  Deployment running = m.ctl.running();
  running.log = log::levels();  // as set now (the API may have changed them)
  out->set_yaml(to_yaml(running));
  return grpc::Status::OK;
}

grpc::Status ConfigService::Apply(grpc::ServerContext*, const pb::ApplyRequest* req, pb::ApplyResponse* out) {
  std::istringstream in(req->yaml());
  ConfigResult desired = load_config(in, "<apply>");
  if (!desired.ok()) {
    std::string msg;
    for (const auto& e : desired.errors) msg += (msg.empty() ? "" : "; ") + e;
    return {grpc::StatusCode::INVALID_ARGUMENT, msg};
  }
  std::map<std::string, uint64_t> expected(req->expected_generation().begin(), req->expected_generation().end());
  ApplyOutcome r = m.ctl.apply(desired.deployment, req->dry_run(), expected);
  if (!r.errors.empty()) return status_of(r.errors);
  for (const auto& pp : r.plan) {
    auto* x = out->add_plan();
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
  for (const auto& rep : r.reports) to_proto(rep, out->add_reports());
  return grpc::Status::OK;
}

}  // namespace steer::rpc
