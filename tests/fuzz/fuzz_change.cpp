// A live change as the gRPC service decodes it: any bytes as a ChangeRequest,
// converted and planned against a running config. A plan that is accepted
// must be a valid config a dispatcher can compile; a refused one must name a
// field.
#include "../../controlplane/rpc/convert.h"
#include "fuzz_common.h"
#include "steer/change.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const steer::SteeringConfig before = steer::fuzz::steering_config();
  steer::v1::ChangeRequest req;
  if (!req.ParseFromArray(data, int(size))) return 0;
  steer::SteeringChange c;
  if (!steer::rpc::from_proto(req, before.rss.reta.size(), &c).ok()) return 0;
  steer::ChangePlan plan;
  const auto errs = steer::plan_change("p0", before, 4, c, &plan);
  if (!errs.empty()) {
    for (const auto& e : errs)
      if (e.path.empty() || e.message.empty()) steer::fuzz::broken("a refusal without a field or a reason");
    return 0;
  }
  if (!steer::validate_steering(plan.after, 4, "after").empty()) steer::fuzz::broken("an accepted plan is invalid");
  if (plan.after.rss.reta.empty()) return 0;
  const steer::SteeringTable table(plan.after);  // must compile
  (void)table.classify(steer::PacketFields{});
  return 0;
}
