// How steerctl prints: tables for people; -o json and -o yaml print the same
// document (proto3 JSON names) for scripts.
#pragma once

#include <google/protobuf/message.h>

#include "session.h"
#include "steer/v1/steer.pb.h"

namespace steerctl {

void print_json(const Session& s, const google::protobuf::Message& m);
void print_report(const Session& s, const ::steer::v1::ChangeReport& r);

}  // namespace steerctl
