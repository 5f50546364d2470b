// The classifier table of a port's running steering, kept change by change
// for a backend that needs the table of the config a change leaves (the
// hardware drain judges with it which flows moved). Each change costs what it
// changes, not a table of every rule.
#pragma once

#include <memory>

#include "steer/change.h"
#include "steer/steering.h"

namespace steer {

class RunningTable {
 public:
  // The table of `before` (a plan's): the one kept, or built afresh.
  std::unique_ptr<SteeringTable> take(const SteeringConfig& before);
  // Gives back what take() returned (null: it cannot be had back, a worker
  // may still read it). When `applied`, the change went in and the table
  // becomes p.after's.
  void give_back(std::unique_ptr<SteeringTable> t, const ChangePlan& p, bool applied);
  // A change that did not take the table: the kept one follows it.
  void went_by(const ChangePlan& p, bool applied) { give_back(std::move(kept_), p, applied); }
  void reset() { kept_.reset(); }
  bool kept() const { return kept_ != nullptr; }

 private:
  std::unique_ptr<SteeringTable> kept_;
};

}  // namespace steer
