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

  // Listens on the unix socket (mode 0660) and, when configured, on TCP with
  // TLS (mTLS with client_ca) or plain on loopback; the gRPC health service
  // and server reflection are on. On failure returns false and sets *why.
  bool start(const ControlConfig& c, std::string* why);
  void shutdown();
  const std::string& where() const;  // the listeners, for the log

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steer
