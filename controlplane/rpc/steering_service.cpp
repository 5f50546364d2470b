#include "convert.h"
#include "services.h"
#include "steer/text.h"

namespace steer::rpc {

grpc::Status SteeringService::GetSteering(grpc::ServerContext*, const pb::GetSteeringRequest* req, pb::Steering* out) {
  SteeringState st;
  if (auto errs = m.dp.steering_state(req->port(), &st); !errs.empty()) return status_of(errs);
  const SteeringConfig& cfg = st.config;
  out->set_port(req->port());
  out->set_generation(st.generation);
  out->set_mode(to_string(cfg.mode));
  out->set_backend(to_string(st.backend));
  for (const auto& name : rss_type_names(cfg.rss.types)) out->mutable_rss()->add_types(name);
  out->mutable_rss()->set_key(to_hex(cfg.rss.key));
  for (uint16_t q : cfg.rss.reta) out->mutable_rss()->add_reta(q);
  for (const auto& r : cfg.flows) to_proto(r, out->add_flows());
  out->set_drain(cfg.drain);
  out->set_drain_timeout_ms(cfg.drain_timeout_ms);
  return grpc::Status::OK;
}

grpc::Status SteeringService::Change(grpc::ServerContext*, const pb::ChangeRequest* req, pb::ChangeReport* out) {
  const auto cur = m.dp.steering(req->port());
  SteeringChange c;
  if (auto s = from_proto(*req, cur ? cur->rss.reta.size() : 0, &c); !s.ok()) return s;
  ChangeReport rep;
  if (auto errs = m.ctl.change(req->port(), c, &rep); !errs.empty()) return status_of(errs);
  to_proto(rep, out);
  return grpc::Status::OK;
}

grpc::Status SteeringService::ListReports(grpc::ServerContext*, const pb::ListReportsRequest*,
                                          pb::ListReportsResponse* out) {
  for (const auto& r : m.ctl.reports()) to_proto(r, out->add_reports());
  return grpc::Status::OK;
}

}  // namespace steer::rpc
