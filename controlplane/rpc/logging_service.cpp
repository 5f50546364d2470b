#include <spdlog/spdlog.h>

#include "log.h"
#include "services.h"

namespace steer::rpc {

namespace {
void fill(pb::LogLevels* out) {
  const LogConfig l = log::levels();
  out->set_level(l.level);
  out->set_dpdk(l.dpdk);
}
}  // namespace

grpc::Status LoggingService::GetLogLevels(grpc::ServerContext*, const pb::GetLogLevelsRequest*, pb::LogLevels* out) {
  fill(out);
  return grpc::Status::OK;
}

grpc::Status LoggingService::SetLogLevels(grpc::ServerContext*, const pb::LogLevels* req, pb::LogLevels* out) {
  if (req->level().size() > 16 || req->dpdk().size() > 16)
    return {grpc::StatusCode::INVALID_ARGUMENT, "a log level name is at most 16 bytes"};
  std::string why;
  if (!log::set_levels(req->level(), req->dpdk(), &why)) return {grpc::StatusCode::INVALID_ARGUMENT, why};
  fill(out);
  spdlog::warn("log levels now: steerd {}, dpdk {} (set through the API)", out->level(), out->dpdk());
  return grpc::Status::OK;
}

}  // namespace steer::rpc
