// What every steerctl command shares: the global options, the channel to
// steerd, deadlines, and how a gRPC status becomes one line on stderr and an
// exit code.
//
// Exit codes: 0 done; 2 usage; 3 invalid argument; 4 not found; 5 failed
// precondition (e.g. stale --expect-generation); 6 steerd unreachable or
// unavailable; 1 anything else.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace steerctl {

struct Session {
  // Global options.
  std::string socket = "/run/steerd/steerd.sock";
  std::string output = "table";  // table, json or yaml
  std::string address, ca, cert, key;
  bool insecure = false;

  int rc = 2;  // what main returns: the command that ran sets it

  // The channel the options describe; null (with a message printed) when a
  // TLS file cannot be read.
  std::shared_ptr<grpc::Channel> channel();
  static std::chrono::system_clock::time_point deadline() {
    return std::chrono::system_clock::now() + std::chrono::seconds(10);
  }
  bool table() const { return output == "table"; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

// A subcommand's callback: `fn(channel)` runs and its exit code goes into
// s.rc (2 when the options give no channel).
template <class Fn>
std::function<void()> runs(Session& s, Fn fn) {
  return [&s, fn] {
    auto ch = s.channel();
    s.rc = ch ? fn(ch) : 2;
  };
}

int exit_code(const grpc::Status& s);
// One line on stderr for a failed call; returns its exit code.
int fail(const grpc::Status& s);
// A usage error: one line, exit code 2.
int usage(const std::string& message);

// Prints each message of a server stream until it ends, or cancels it after
// `count` messages (0: never).
template <typename T, typename Reader, typename Show>
int follow(grpc::ClientContext& ctx, std::unique_ptr<Reader> reader, uint32_t count, Show show) {
  T msg;
  uint32_t n = 0;
  while (reader->Read(&msg)) {
    show(msg);
    std::fflush(stdout);
    if (count && ++n >= count) {
      ctx.TryCancel();
      break;
    }
  }
  auto st = reader->Finish();
  return st.ok() || st.error_code() == grpc::StatusCode::CANCELLED ? 0 : fail(st);
}

}  // namespace steerctl
