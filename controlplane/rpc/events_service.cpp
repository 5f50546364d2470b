#include "services.h"

namespace steer::rpc {

grpc::Status EventsService::WatchEvents(grpc::ServerContext* ctx, const pb::WatchEventsRequest*,
                                        grpc::ServerWriter<pb::Event>* w) {
  StreamSlot slot(m.streams);
  if (!slot.ok()) return StreamSlot::refused();
  uint64_t seen = m.events.now();  // only what happens from now on
  while (!ctx->IsCancelled() && !m.stopping.load())
    for (const auto& e : m.events.after(&seen, std::chrono::milliseconds(200)))
      if (!w->Write(e)) return grpc::Status::OK;
  return grpc::Status::OK;
}

}  // namespace steer::rpc
