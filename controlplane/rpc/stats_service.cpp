#include <algorithm>
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
  StreamSlot slot(m.streams);
  if (!slot.ok()) return StreamSlot::refused();
  const auto interval = std::chrono::milliseconds(std::clamp<uint32_t>(req->interval_ms(), 100, kMaxWatchIntervalMs));
  pb::StatsSnapshot prev;
  to_proto(m.dp.stats(), &prev);
  while (!ctx->IsCancelled() && !m.stopping.load()) {
    // Sleep in slices, so a client that went away frees its thread within 200 ms.
    const auto until = std::chrono::steady_clock::now() + interval;
    while (std::chrono::steady_clock::now() < until && !ctx->IsCancelled() && !m.stopping.load())
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(200), until - std::chrono::steady_clock::now()));
    if (ctx->IsCancelled() || m.stopping.load()) break;
    if (!m.dp.running()) break;
    pb::StatsSnapshot now;
    to_proto(m.dp.stats(), &now);
    if (!w->Write(delta(now, prev))) break;
    prev = now;
  }
  return grpc::Status::OK;
}

}  // namespace steer::rpc
