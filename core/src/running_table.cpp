#include "steer/running_table.h"

namespace steer {

std::unique_ptr<SteeringTable> RunningTable::take(const SteeringConfig& before) {
  if (kept_) return std::move(kept_);
  return std::make_unique<SteeringTable>(before);
}

void RunningTable::give_back(std::unique_ptr<SteeringTable> t, const ChangePlan& p, bool applied) {
  kept_ = std::move(t);
  if (!kept_ || !applied) return;
  if (p.rebuild_cheaper())
    kept_.reset();  // built from the next plan's `before` when it is needed
  else
    kept_->update(p.after.rss, p.destroyed, p.create);
}

}  // namespace steer
