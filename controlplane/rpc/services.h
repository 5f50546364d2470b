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

// Bounds on what a client can make steerd hold (README "Robustness").
constexpr int kMaxStreams = 16;                  // WatchStats, WatchEvents and ChangeStream open at once, all clients
constexpr int kMaxStreamsPerClient = 8;          // calls in flight on one client connection (HTTP/2 streams)
constexpr uint32_t kMaxWatchIntervalMs = 60000;  // WatchStats interval_ms is clamped to [100, this]
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;  // a request larger than this is refused unread
constexpr int kMaxServerThreads = 64;               // gRPC's sync server never runs more

// What every service reads or calls; owned by the ControlServer.
struct Context {
  Dataplane& dp;
  Controller& ctl;
  const Deployment& d;  // as started
  EventBus& events;
  const std::atomic<bool>& stopping;
  std::atomic<int> streams{0};  // streams open now
  std::string config_file;      // the file steerd started from ("" for the embedded demo); Diff reads it
};

// Holds one of the kMaxStreams slots for a stream's lifetime.
class StreamSlot {
 public:
  explicit StreamSlot(std::atomic<int>& n) : n_(n), ok_(n.fetch_add(1) < kMaxStreams) {}
  ~StreamSlot() { n_.fetch_sub(1); }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  bool ok() const { return ok_; }
  static grpc::Status refused() {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "steerd serves at most " + std::to_string(kMaxStreams) +
                " streams at once (stats --watch, events, change streams); close one and retry"};
  }

 private:
  std::atomic<int>& n_;
  bool ok_;
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
  grpc::Status ChangeStream(grpc::ServerContext*,
                            grpc::ServerReaderWriter<pb::ChangeReport, pb::ChangeRequest>* s) override;
  grpc::Status ListReports(grpc::ServerContext*, const pb::ListReportsRequest*, pb::ListReportsResponse* out) override;

 private:
  grpc::Status change(const pb::ChangeRequest& req, pb::ChangeReport* out);
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
  grpc::Status Diff(grpc::ServerContext*, const pb::DiffRequest* req, pb::DiffResponse* out) override;

 private:
  Context& m;
};

struct LoggingService final : ::steer::v1::Logging::Service {
  grpc::Status GetLogLevels(grpc::ServerContext*, const pb::GetLogLevelsRequest*, pb::LogLevels* out) override;
  grpc::Status SetLogLevels(grpc::ServerContext*, const pb::LogLevels* req, pb::LogLevels* out) override;
};

}  // namespace steer::rpc
