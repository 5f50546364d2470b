// steer.v1 messages <-> the model. Rules go through their text forms
// (steer/text.h) and counters through their field tables (steer/stats.h),
// matched to proto fields by name: no field is listed here by hand.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "steer/change.h"
#include "steer/stats.h"
#include "steer/v1/steer.pb.h"
#include "steer/validate.h"

namespace steer::rpc {

namespace pb = ::steer::v1;

// A refusal as its own status: INVALID_ARGUMENT with the field path,
// NOT_FOUND, FAILED_PRECONDITION or UNAVAILABLE.
grpc::Status status_of(const std::vector<ConfigError>& errs);
grpc::Status invalid(const std::string& path, const std::string& msg);

void to_proto(const FlowRule& r, pb::FlowRule* o);
grpc::Status from_proto(const pb::FlowRule& o, const std::string& path, FlowRule* r);
// A ChangeRequest as a SteeringChange; `reta_size` sizes spread/weights
// when the request does not.
grpc::Status from_proto(const pb::ChangeRequest& req, size_t reta_size, SteeringChange* c);
void to_proto(const ChangeReport& r, pb::ChangeReport* o);
void to_proto(const StatsSnapshot& s, pb::StatsSnapshot* o);
// Back again (steerctl prints with format_stats, as steerd does).
StatsSnapshot from_proto(const pb::StatsSnapshot& o);

// Counters minus the previous snapshot's, row by row (gauges such as pool use
// stay as they are).
pb::StatsSnapshot delta(const pb::StatsSnapshot& now, const pb::StatsSnapshot& prev);

// The counter names of a proto stats message that the field tables do not
// fill (a unit test keeps this empty where it matters).
std::vector<std::string> unfilled_stats_fields();

}  // namespace steer::rpc
