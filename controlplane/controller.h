// The Controller: the one writer of live steering. Every change goes through
// it, whichever way it came (gRPC Change or Apply, SIGHUP reload, a rollback):
// it checks expected generations, plans the change once (core/change.h),
// has the port's backend check and apply it, keeps the report history, and
// tells its listeners (the event stream). Dry runs stop after the checks.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "steer/change.h"
#include "steer/dataplane.h"

namespace steer {

// One port's part of a declarative apply.
struct PortPlan {
  std::string port;
  bool changes = false;
  bool key_changed = false, types_changed = false, reta_changed = false;
  std::vector<std::string> added, removed, replaced;  // rule names
  ChangeReport would;                                 // buckets moved, losers, gainers
};

struct ApplyOutcome {
  // Non-empty: nothing changed. Every port's change is checked before any is
  // applied; if one still fails when applied (a device refusing), the ports
  // changed before it are changed back, and the message says so.
  std::vector<ConfigError> errors;
  std::vector<PortPlan> plan;
  std::vector<ChangeReport> reports;  // empty for a dry run
};

class Controller {
 public:
  // `started` is the deployment the dataplane was started with.
  Controller(Dataplane& dp, const Deployment& started);

  using Listener = std::function<void(const ChangeReport&)>;
  void on_change(Listener l);  // before any change; called for every applied change
  // Also given what was asked: the state journal records it. Called before
  // the on_change listeners, under the Controller's lock, as are they.
  using AppliedListener = std::function<void(const ChangeReport&, const SteeringChange&)>;
  void on_applied(AppliedListener l);

  // Runs `f` with no change in progress (under the Controller's lock): a
  // reload's journal write, so that it and the changes' records agree.
  void exclusive(const std::function<void()>& f);

  // One port's change, whole or not at all.
  [[nodiscard]] std::vector<ConfigError> change(const std::string& port, const SteeringChange& c, ChangeReport* report);

  // The running deployment made `desired`: only ports[].steering changes live;
  // anything else needs a restart and is refused whole. `expected` (port ->
  // generation) guards each changed port.
  ApplyOutcome apply(const Deployment& desired, bool dry_run, const std::map<std::string, uint64_t>& expected = {});

  // The deployment as it runs: the started one with each port's live steering.
  Deployment running() const;
  std::vector<ChangeReport> reports() const;  // the last kHistory

  static constexpr size_t kHistory = 64;

 private:
  std::vector<ConfigError> change_locked(const std::string& port, const SteeringChange& c, ChangeReport* report);

  Dataplane& dp_;
  const Deployment started_;
  mutable std::mutex mu_;  // one change at a time; guards what follows
  std::deque<ChangeReport> history_;
  uint64_t next_id_ = 1;
  std::vector<Listener> listeners_;
  std::vector<AppliedListener> applied_;
  // Per port: its rules by name and priority at `generation` (plan_change's
  // index), rebuilt when the port's generation is not the one it was kept at.
  struct Indexed {
    uint64_t generation = 0;
    bool valid = false;
    RuleIndex index;
  };
  std::map<std::string, Indexed> indexes_;
};

}  // namespace steer
