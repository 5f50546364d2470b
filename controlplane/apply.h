// Declarative apply: the difference between the running deployment and a
// desired one, turned into steering changes through the same path as every
// other change (Dataplane::change_steering). Only ports[].steering changes
// live; anything else in the file needs a restart and is refused whole.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "steer/dataplane.h"

namespace steer {

struct PortPlan {
  std::string port;
  bool changes = false;
  bool key_changed = false, types_changed = false, reta_changed = false;
  std::vector<std::string> added, removed, replaced;  // rule names
  ChangeReport would;                                 // buckets moved, losers, gainers (from a dry run)
};

struct ApplyOutcome {
  // Non-empty: nothing changed. Every port's change is validated before any
  // is applied; if one still fails when applied (a concurrent change, a
  // device refusing), the ports changed before it are changed back, and the
  // message says so.
  std::vector<ConfigError> errors;
  std::vector<PortPlan> plan;
  std::vector<ChangeReport> reports;  // empty for a dry run
};

// The running deployment with each port's live steering.
Deployment running_deployment(const Dataplane& dp, const Deployment& started);

// `expected` (port name -> generation) guards each changed port.
ApplyOutcome apply_deployment(Dataplane& dp, const Deployment& running, const Deployment& desired, bool dry_run,
                              const std::map<std::string, uint64_t>& expected = {});

}  // namespace steer
