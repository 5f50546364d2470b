// The calls rss and flow commands share: read a port's steering, send one
// change and print its report.
#pragma once

#include "session.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steerctl {

// Reads `port`'s steering into *out; returns 0 or the call's exit code.
int get_steering(std::shared_ptr<grpc::Channel> ch, const std::string& port, ::steer::v1::Steering* out);
// Sends `req` for `port` (guarded by expect_gen when >= 0) and prints the report.
int send_change(Session& s, std::shared_ptr<grpc::Channel> ch, ::steer::v1::ChangeRequest req, const std::string& port,
                int64_t expect_gen);

}  // namespace steerctl
