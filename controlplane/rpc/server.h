// The gRPC server inside steerd: the services of services.h on a unix socket
// (mode 0660, optional group) and, when configured, TCP with TLS (mTLS with
// client_ca) or plain on loopback; the health service and server reflection
// on; link changes polled off the lcores and published as events. Runs on
// gRPC's threads; reads never stop an lcore.
#pragma once

#include <memory>
#include <string>

#include "../controller.h"
#include "steer/dataplane.h"

namespace steer {

class ControlServer {
 public:
  ControlServer(Dataplane& dp, Controller& ctl, const Deployment& d);
  ~ControlServer();

  // The deployment file steerd runs (for Diff and GetRunning); before start.
  void set_config_file(const std::string& path);

  // On failure returns false and sets *why.
  bool start(const ControlConfig& c, std::string* why);
  void shutdown();
  const std::string& where() const;  // the listeners, for the log

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steer
