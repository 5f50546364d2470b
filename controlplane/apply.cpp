#include "apply.h"

#include <algorithm>
#include <sstream>

#include "config.h"

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

// The change that turns `have` into `want` (rules by name), noted in `pp`.
SteeringChange difference(const SteeringConfig& have, const SteeringConfig& want, PortPlan* pp) {
  SteeringChange c;
  if (want.rss.key != have.rss.key) c.key = want.rss.key, pp->key_changed = true;
  if (want.rss.types != have.rss.types) c.types = want.rss.types, pp->types_changed = true;
  if (want.rss.reta != have.rss.reta) c.reta = want.rss.reta, pp->reta_changed = true;
  for (const auto& r : have.flows)
    if (std::none_of(want.flows.begin(), want.flows.end(), [&](const FlowRule& x) { return x.name == r.name; })) {
      c.remove.push_back(r.name);
      pp->removed.push_back(r.name);
    }
  for (const auto& r : want.flows) {
    auto it = std::find_if(have.flows.begin(), have.flows.end(), [&](const FlowRule& x) { return x.name == r.name; });
    if (it == have.flows.end()) {
      c.add.push_back(r);
      pp->added.push_back(r.name);
    } else if (!(*it == r)) {
      c.add.push_back(r);
      pp->replaced.push_back(r.name);
    }
  }
  pp->changes = c.key || c.types || c.reta || !c.add.empty() || !c.remove.empty();
  return c;
}

}  // namespace

Deployment running_deployment(const Dataplane& dp, const Deployment& started) {
  Deployment d = started;
  for (auto& p : d.ports)
    if (p.steering)
      if (auto live = dp.steering(p.name)) p.steering = *live;
  return d;
}

ApplyOutcome apply_deployment(Dataplane& dp, const Deployment& running, const Deployment& desired, bool dry_run,
                              const std::map<std::string, uint64_t>& expected) {
  ApplyOutcome out;
  const std::string a = to_yaml(without_steering(running)), b = to_yaml(without_steering(desired));
  if (a != b) {
    out.errors.push_back({"",
                          "only ports[].steering changes without a restart, and this file changes more: " +
                              first_difference(a, b) + "; restart steerd to apply it",
                          ErrorKind::Precondition});
    return out;
  }
  struct Pending {
    std::string port;
    size_t index;
    SteeringChange change;
    SteeringConfig before, after;
  };
  std::vector<Pending> changes;
  for (size_t i = 0; i < desired.ports.size(); ++i) {
    const auto& want = desired.ports[i].steering;
    const auto& have = running.ports[i].steering;
    if (bool(want) != bool(have)) {
      out.errors.push_back(
          {"ports[" + std::to_string(i) + "].steering",
           std::string("adding or removing steering on a port needs a restart (port ") + desired.ports[i].name + ")",
           ErrorKind::Precondition});
      return out;
    }
    if (!want) continue;
    PortPlan pp;
    pp.port = desired.ports[i].name;
    SteeringChange c = difference(*have, *want, &pp);
    if (want->drain != have->drain || want->drain_timeout_ms != have->drain_timeout_ms || want->mode != have->mode) {
      out.errors.push_back({"ports[" + std::to_string(i) + "].steering",
                            "mode, drain and drain_timeout_ms change with a restart only (port " + pp.port + ")",
                            ErrorKind::Precondition});
      return out;
    }
    if (auto it = expected.find(pp.port); it != expected.end()) c.expected_generation = it->second;
    if (pp.changes) {
      // Validate every port's change before applying any.
      SteeringChange probe = c;
      probe.dry_run = true;
      auto errs = dp.change_steering(pp.port, probe, &pp.would);
      for (auto& e : errs) e.path = "ports[" + std::to_string(i) + "]." + e.path;
      if (!errs.empty()) {
        out.errors = errs;
        out.plan.clear();
        return out;
      }
      changes.push_back({pp.port, i, c, *have, *want});
    }
    out.plan.push_back(pp);
  }
  if (dry_run) return out;
  for (size_t k = 0; k < changes.size(); ++k) {
    ChangeReport rep;
    auto errs = dp.change_steering(changes[k].port, changes[k].change, &rep);
    if (errs.empty()) {
      out.reports.push_back(rep);
      continue;
    }
    // Validated above, so a concurrent change or a device that refused at
    // apply time got here: the ports already changed go back, newest first,
    // through the same path (each rollback is a change of its own).
    std::string undone;
    for (size_t j = k; j-- > 0;) {
      PortPlan ignored;
      SteeringChange back = difference(changes[j].after, changes[j].before, &ignored);
      ChangeReport r;
      auto e = dp.change_steering(changes[j].port, back, &r);
      undone += (undone.empty() ? "" : ", ") + changes[j].port +
                (e.empty() ? " (generation " + std::to_string(r.generation) + ")" : " (failed: " + e[0].message + ")");
    }
    for (auto& e : errs) {
      e.path = "ports[" + std::to_string(changes[k].index) + "]." + e.path;
      if (!undone.empty()) e.message += "; rolled back ports changed before it: " + undone;
    }
    out.errors = errs;
    out.reports.clear();
    return out;
  }
  return out;
}

}  // namespace steer
