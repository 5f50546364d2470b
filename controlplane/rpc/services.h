// The gRPC services: thin adapters from steer.v1 to the model, the Controller
// (every change) and the Dataplane (reads). One file each.
#pragma once

#include <atomic>

#include "../controller.h"
#include "events.h"
#include "steer/dataplane.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steer::rpc {

namespace pb = ::steer::v1;

// What every service reads or calls; owned by the ControlServer.
struct Context {
  Dataplane& dp;
  Controller& ctl;
  const Deployment& d;  // as started
  EventBus& events;
  const std::atomic<bool>& stopping;
};

struct PortsService final : ::steer::v1::Ports::Service {
  explicit PortsService(Context& c) : m(c) {}
  grpc::Status ListPorts(grpc::ServerContext*, const pb::ListPortsRequest*, pb::ListPortsResponse* out) override;
  grpc::Status GetPort(grpc::ServerContext*, const pb::GetPortRequest* req, pb::Port* out) override;

 private:
  void fill(size_t i, pb::Port* o);
  Context& m;
};

struct SteeringService final : ::steer::v1::SteeringService::Service {
  explicit SteeringService(Context& c) : m(c) {}
  grpc::Status GetSteering(grpc::ServerContext*, const pb::GetSteeringRequest* req, pb::Steering* out) override;
  grpc::Status Change(grpc::ServerContext*, const pb::ChangeRequest* req, pb::ChangeReport* out) override;
  grpc::Status ListReports(grpc::ServerContext*, const pb::ListReportsRequest*, pb::ListReportsResponse* out) override;

 private:
  Context& m;
};

struct StatsService final : ::steer::v1::Stats::Service {
  explicit StatsService(Context& c) : m(c) {}
  grpc::Status GetStats(grpc::ServerContext*, const pb::GetStatsRequest*, pb::StatsSnapshot* out) override;
  grpc::Status WatchStats(grpc::ServerContext* ctx, const pb::WatchStatsRequest* req,
                          grpc::ServerWriter<pb::StatsSnapshot>* w) override;

 private:
  Context& m;
};

struct EventsService final : ::steer::v1::Events::Service {
  explicit EventsService(Context& c) : m(c) {}
  grpc::Status WatchEvents(grpc::ServerContext* ctx, const pb::WatchEventsRequest*,
                           grpc::ServerWriter<pb::Event>* w) override;

 private:
  Context& m;
};

struct ConfigService final : ::steer::v1::Config::Service {
  explicit ConfigService(Context& c) : m(c) {}
  grpc::Status GetRunning(grpc::ServerContext*, const pb::GetRunningRequest*, pb::RunningConfig* out) override;
  grpc::Status Apply(grpc::ServerContext*, const pb::ApplyRequest* req, pb::ApplyResponse* out) override;

 private:
  Context& m;
};

}  // namespace steer::rpc
