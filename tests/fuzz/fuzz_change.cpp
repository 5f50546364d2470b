// A live change as the gRPC service decodes it: any bytes as a ChangeRequest,
// converted and planned against a running config. A plan that is accepted
// must be a valid config a dispatcher can compile, and a table updated in
// place by it must hold its rules; a refused one must name a field. The plan
// made with a kept RuleIndex (the controller's) must be the same plan.
#include "../../controlplane/rpc/convert.h"
#include "fuzz_common.h"
#include "steer/change.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const steer::SteeringConfig before = steer::fuzz::steering_config();
  steer::v1::ChangeRequest req;
  if (!req.ParseFromArray(data, int(size))) return 0;
  steer::SteeringChange c;
  if (!steer::rpc::from_proto(req, before.rss.reta.size(), &c).ok()) return 0;
  static const steer::RuleIndex index = [] {
    steer::RuleIndex ix;
    ix.build(before.flows);
    return ix;
  }();
  steer::ChangePlan plan, indexed;
  const auto errs = steer::plan_change("p0", before, 4, c, &plan);
  const auto ierrs = steer::plan_change("p0", before, 4, c, &indexed, &index);
  if (errs.size() != ierrs.size()) steer::fuzz::broken("the indexed plan refuses differently");
  for (size_t i = 0; i < errs.size(); ++i)
    if (errs[i].path != ierrs[i].path || errs[i].message != ierrs[i].message)
      steer::fuzz::broken("the indexed plan refuses differently");
  if (errs.empty() && !(indexed.after.flows == plan.after.flows && indexed.create == plan.create &&
                        indexed.destroy == plan.destroy && indexed.destroyed == plan.destroyed))
    steer::fuzz::broken("the indexed plan differs");
  if (!errs.empty()) {
    for (const auto& e : errs)
      if (e.path.empty() || e.message.empty()) steer::fuzz::broken("a refusal without a field or a reason");
    return 0;
  }
  if (!steer::validate_steering(plan.after, 4, "after").empty()) steer::fuzz::broken("an accepted plan is invalid");
  if (plan.after.rss.reta.empty()) return 0;
  const steer::SteeringTable table(plan.after);  // must compile
  (void)table.classify(steer::PacketFields{});
  steer::SteeringTable updated(before);
  updated.update(plan.after.rss, plan.destroyed, plan.create);
  if (updated.rules() != plan.after.flows.size()) steer::fuzz::broken("the updated table lost or kept rules");
  (void)updated.classify(steer::PacketFields{});
  return 0;
}
