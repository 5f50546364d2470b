#include <thread>

#include "convert.h"
#include "services.h"

namespace steer::rpc {

grpc::Status StatsService::GetStats(grpc::ServerContext*, const pb::GetStatsRequest*, pb::StatsSnapshot* out) {
  if (!m.dp.running()) return {grpc::StatusCode::UNAVAILABLE, "steerd is starting or stopping"};
  to_proto(m.dp.stats(), out);
  return grpc::Status::OK;
}

grpc::Status StatsService::WatchStats(grpc::ServerContext* ctx, const pb::WatchStatsRequest* req,
                                      grpc::ServerWriter<pb::StatsSnapshot>* w) {
  const auto interval = std::chrono::milliseconds(std::max<uint32_t>(req->interval_ms(), 100));
  pb::StatsSnapshot prev;
  to_proto(m.dp.stats(), &prev);
  while (!ctx->IsCancelled() && !m.stopping.load()) {
    std::this_thread::sleep_for(interval);
    if (!m.dp.running()) break;
    pb::StatsSnapshot now;
    to_proto(m.dp.stats(), &now);
    if (!w->Write(delta(now, prev))) break;
    prev = now;
  }
  return grpc::Status::OK;
}

}  // namespace steer::rpc
