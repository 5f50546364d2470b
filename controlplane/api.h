// The gRPC server inside steerd: thin adapters from steer.v1 messages to the
// model and the Dataplane (the one writer of steering), each refusal mapped
// to its own status code. Runs on gRPC's threads, off the worker lcores;
// reads never stop an lcore.
#pragma once

#include <memory>
#include <string>

#include "steer/dataplane.h"

namespace steer {

class ControlServer {
 public:
  ControlServer(Dataplane& dp, const Deployment& d);
  ~ControlServer();

  // Listens on a unix socket (mode 0660), with the gRPC health service and
  // server reflection. On failure returns false and sets *why.
  bool start(const std::string& socket_path, std::string* why);
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steer
