#include "controller.h"

#include <algorithm>
#include <sstream>

#include "config/config.h"

namespace steer {
namespace {

Deployment without_steering(Deployment d) {
  for (auto& p : d.ports) p.steering.reset();
  return d;
}

std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l1, l2;
  while (true) {
    bool m1 = bool(std::getline(x, l1)), m2 = bool(std::getline(y, l2));
    if (!m1 && !m2) return "";
    if (!m1) l1.clear();
    if (!m2) l2.clear();
    if (l1 != l2) return "\"" + l1 + "\" becomes \"" + l2 + "\"";
  }
}

// What `c` (have -> want) does, as the plan shows it.
PortPlan describe(const std::string& port, const SteeringConfig& have, const SteeringChange& c) {
  PortPlan pp;
  pp.port = port;
  pp.key_changed = c.key.has_value();
  pp.types_changed = c.types.has_value();
  pp.reta_changed = c.reta.has_value();
  pp.removed = c.remove;
  for (const auto& r : c.add) {
    const bool had =
        std::any_of(have.flows.begin(), have.flows.end(), [&](const FlowRule& x) { return x.name == r.name; });
    (had ? pp.replaced : pp.added).push_back(r.name);
  }
  pp.changes = !c.empty();
  return pp;
}

void prefix_paths(std::vector<ConfigError>& errs, size_t port) {
  for (auto& e : errs) e.path = "ports[" + std::to_string(port) + "]." + e.path;
}

}  // namespace

Controller::Controller(Dataplane& dp, const Deployment& started) : dp_(dp), started_(started) {}

void Controller::on_change(Listener l) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.push_back(std::move(l));
}

void Controller::on_applied(AppliedListener l) {
  std::lock_guard<std::mutex> lock(mu_);
  applied_.push_back(std::move(l));
}

void Controller::exclusive(const std::function<void()>& f) {
  std::lock_guard<std::mutex> lock(mu_);
  f();
}

std::vector<ConfigError> Controller::change(const std::string& port, const SteeringChange& c, ChangeReport* report) {
  std::lock_guard<std::mutex> lock(mu_);
  return change_locked(port, c, report);
}

std::vector<ConfigError> Controller::change_locked(const std::string& port, const SteeringChange& c,
                                                   ChangeReport* report) {
  SteeringState st;
  if (auto errs = dp_.steering_state(port, &st); !errs.empty()) return errs;
  if (c.expected_generation && *c.expected_generation != st.generation)
    return {{"expected_generation",
             "the port is at generation " + std::to_string(st.generation) + ", not " +
                 std::to_string(*c.expected_generation) + "; re-read and retry",
             ErrorKind::Precondition}};
  Indexed& ix = indexes_[port];
  if (!ix.valid || ix.generation != st.generation) {
    ix.index.build(st.config.flows);
    ix.generation = st.generation;
    ix.valid = true;
  }
  ChangePlan plan;
  if (auto errs = plan_change(port, st.config, st.queues, c, &plan, &ix.index); !errs.empty()) return errs;
  if (auto errs = dp_.check_change(st, plan); !errs.empty()) return errs;
  if (c.dry_run) {
    if (report) *report = report_of(port, plan, st.generation);
    return {};
  }
  ChangeReport rep;
  if (auto errs = dp_.apply_change(st, plan, &rep); !errs.empty()) {
    ix.valid = false;  // a device that failed part-way may have left the port anywhere
    return errs;
  }
  ix.index.update(plan);
  ix.generation = rep.generation;
  rep.id = next_id_++;
  history_.push_back(rep);
  if (history_.size() > kHistory) history_.pop_front();
  for (const auto& l : applied_) l(rep, c);
  for (const auto& l : listeners_) l(rep);
  if (report) *report = rep;
  return {};
}

std::vector<ChangeReport> Controller::reports() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {history_.begin(), history_.end()};
}

Deployment Controller::running() const {
  Deployment d = started_;
  for (auto& p : d.ports)
    if (p.steering)
      if (auto live = dp_.steering(p.name)) p.steering = *live;
  return d;
}

ApplyOutcome Controller::apply(const Deployment& desired, bool dry_run,
                               const std::map<std::string, uint64_t>& expected) {
  std::lock_guard<std::mutex> lock(mu_);
  ApplyOutcome out;
  const Deployment now = running();
  const std::string a = to_yaml(without_steering(now)), b = to_yaml(without_steering(desired));
  if (a != b) {
    out.errors.push_back({"",
                          "only ports[].steering changes without a restart, and this file changes more: " +
                              first_difference(a, b) + "; restart steerd to apply it",
                          ErrorKind::Precondition});
    return out;
  }
  struct Pending {
    size_t index;
    SteeringChange change;
    SteeringConfig before, after;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < desired.ports.size(); ++i) {
    const auto& want = desired.ports[i].steering;
    const auto& have = now.ports[i].steering;
    const std::string& name = desired.ports[i].name;
    if (bool(want) != bool(have)) {
      out.errors.push_back({"ports[" + std::to_string(i) + "].steering",
                            "adding or removing steering on a port needs a restart (port " + name + ")",
                            ErrorKind::Precondition});
      return out;
    }
    if (!want) continue;
    if (want->drain != have->drain || want->drain_timeout_ms != have->drain_timeout_ms || want->mode != have->mode) {
      out.errors.push_back({"ports[" + std::to_string(i) + "].steering",
                            "mode, drain and drain_timeout_ms change with a restart only (port " + name + ")",
                            ErrorKind::Precondition});
      return out;
    }
    SteeringChange c = difference(*have, *want);
    PortPlan pp = describe(name, *have, c);
    if (auto it = expected.find(name); it != expected.end()) c.expected_generation = it->second;
    if (pp.changes) {  // every port's change checked before any is applied
      SteeringChange probe = c;
      probe.dry_run = true;
      if (auto errs = change_locked(name, probe, &pp.would); !errs.empty()) {
        prefix_paths(errs, i);
        out.errors = errs;
        out.plan.clear();
        return out;
      }
      pending.push_back({i, c, *have, *want});
    }
    out.plan.push_back(pp);
  }
  if (dry_run) return out;
  for (size_t k = 0; k < pending.size(); ++k) {
    const std::string& name = desired.ports[pending[k].index].name;
    ChangeReport rep;
    auto errs = change_locked(name, pending[k].change, &rep);
    if (errs.empty()) {
      out.reports.push_back(rep);
      continue;
    }
    // Checked above, so a device that refused at apply time got here: the
    // ports already changed go back, newest first, through the same path
    // (each rollback is a change of its own).
    std::string undone;
    for (size_t j = k; j-- > 0;) {
      const std::string& back_port = desired.ports[pending[j].index].name;
      ChangeReport r;
      auto e = change_locked(back_port, difference(pending[j].after, pending[j].before), &r);
      undone += (undone.empty() ? "" : ", ") + back_port +
                (e.empty() ? " (generation " + std::to_string(r.generation) + ")" : " (failed: " + e[0].message + ")");
    }
    prefix_paths(errs, pending[k].index);
    if (!undone.empty())
      for (auto& e : errs) e.message += "; rolled back ports changed before it: " + undone;
    out.errors = errs;
    out.reports.clear();
    return out;
  }
  return out;
}

}  // namespace steer
