#include <google/protobuf/arena.h>

#include <memory>

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

grpc::Status SteeringService::change(const pb::ChangeRequest& req, pb::ChangeReport* out) {
  // The RETA's size only sizes a spread or weights given without one; the
  // whole configuration is not copied for anything else.
  size_t reta_size = 0;
  if (req.has_reta() && !req.reta().size())
    if (const auto cur = m.dp.steering(req.port())) reta_size = cur->rss.reta.size();
  SteeringChange c;
  if (auto s = from_proto(req, reta_size, &c); !s.ok()) return s;
  ChangeReport rep;
  if (auto errs = m.ctl.change(req.port(), c, &rep); !errs.empty()) return status_of(errs);
  to_proto(rep, out);
  return grpc::Status::OK;
}

grpc::Status SteeringService::Change(grpc::ServerContext*, const pb::ChangeRequest* req, pb::ChangeReport* out) {
  return change(*req, out);
}

grpc::Status SteeringService::ChangeStream(grpc::ServerContext*,
                                           grpc::ServerReaderWriter<pb::ChangeReport, pb::ChangeRequest>* s) {
  StreamSlot slot(m.streams);
  if (!slot.ok()) return StreamSlot::refused();
  // Each request is read into an arena that starts in one block kept for the
  // stream, and reset after its change: a change of 100 rules is ~300
  // messages and strings, otherwise each a malloc and a free.
  constexpr size_t kBlock = 256 * 1024;
  auto block = std::make_unique<char[]>(kBlock);
  google::protobuf::ArenaOptions opts;
  opts.initial_block = block.get();
  opts.initial_block_size = kBlock;
  google::protobuf::Arena arena(opts);
  for (uint64_t n = 1;; ++n) {
    auto* req = google::protobuf::Arena::CreateMessage<pb::ChangeRequest>(&arena);
    if (!s->Read(req)) break;
    pb::ChangeReport out;
    if (auto st = change(*req, &out); !st.ok())
      return {st.error_code(), "change " + std::to_string(n) + " of this stream: " + st.error_message()};
    arena.Reset();
    if (!s->Write(out)) break;  // the client went away; what it sent so far is applied
  }
  return grpc::Status::OK;
}

grpc::Status SteeringService::ListReports(grpc::ServerContext*, const pb::ListReportsRequest*,
                                          pb::ListReportsResponse* out) {
  for (const auto& r : m.ctl.reports()) to_proto(r, out->add_reports());
  return grpc::Status::OK;
}

}  // namespace steer::rpc
