#include "steer/change.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "steer/steering.h"

namespace steer {
namespace {

const FlowRule* find_rule(const std::vector<FlowRule>& rules, const std::string& name) {
  auto it = std::find_if(rules.begin(), rules.end(), [&](const FlowRule& r) { return r.name == name; });
  return it == rules.end() ? nullptr : &*it;
}

}  // namespace

std::vector<ConfigError> plan_change(const std::string& port, const SteeringConfig& before, uint16_t queues,
                                     const SteeringChange& c, ChangePlan* out) {
  ChangePlan& p = *out;
  p = ChangePlan{};
  p.before = before;
  p.queues = queues;
  SteeringConfig& next = p.after;
  next = before;
  if (c.key) next.rss.key = *c.key;
  if (c.types) next.rss.types = *c.types;
  if (c.reta) next.rss.reta = *c.reta;
  // By name through an index, not a scan per rule: a change of 100,000 rules
  // against 100,000 would otherwise compare names 10^10 times.
  next.flows.reserve(next.flows.size() + c.add.size());  // no reallocation: `at` views the names in place
  std::unordered_map<std::string_view, size_t> at;
  at.reserve(next.flows.size() + c.add.size());
  for (size_t i = 0; i < next.flows.size(); ++i) at.emplace(next.flows[i].name, i);
  std::vector<uint8_t> gone(next.flows.size(), 0);
  for (const auto& name : c.remove) {
    auto it = at.find(name);
    if (it == at.end()) return {{"remove", "no rule named \"" + name + "\" on port " + port, ErrorKind::NotFound}};
    gone[it->second] = 1;
    at.erase(it);
  }
  for (const auto& r : c.add) {
    if (auto it = at.find(r.name); it != at.end()) {
      next.flows[it->second] = r;
    } else {
      next.flows.push_back(r);
      gone.push_back(0);
      at.emplace(next.flows.back().name, next.flows.size() - 1);
    }
  }
  at.clear();  // its keys point into next.flows, which compacts now
  size_t kept = 0;
  for (size_t i = 0; i < next.flows.size(); ++i)
    if (!gone[i]) {
      if (kept != i) next.flows[kept] = std::move(next.flows[i]);
      ++kept;
    }
  next.flows.resize(kept);
  if (c.types && (*c.types == 0 || (*c.types & ~uint32_t(kRssAll))))
    return {{"types", "no known hash type selected; use ipv4, ipv4-tcp, ipv4-udp, ipv6, ipv6-tcp, ipv6-udp"}};
  if (auto errs = validate_steering(next, queues, "steering"); !errs.empty()) return errs;

  // The device delta: a rule added unchanged (and not also removed) is
  // already there; a replaced one is destroyed in its old form.
  p.destroy = c.remove;
  std::unordered_map<std::string_view, const FlowRule*> was;
  was.reserve(before.flows.size());
  for (const FlowRule& r : before.flows) was.emplace(r.name, &r);
  const std::unordered_set<std::string_view> removed_names(c.remove.begin(), c.remove.end());
  for (const FlowRule& r : c.add) {
    const auto w = was.find(r.name);
    const FlowRule* old = w == was.end() ? nullptr : w->second;
    const bool removed = removed_names.count(r.name) != 0;
    if (old && *old == r && !removed) continue;
    p.create.push_back(r);
    if (old && !removed) p.destroy.push_back(r.name);
  }
  p.key_changed = next.rss.key != before.rss.key;
  p.types_changed = next.rss.types != before.rss.types;
  p.reta_changed = next.rss.reta != before.rss.reta;

  // What moves: RETA buckets that change queue; a key, hash-type or rule
  // change can move any flow, so every queue may lose (one global fence).
  p.loser.assign(queues, 0);
  p.gainer.assign(queues, 0);
  p.global = p.key_changed || p.types_changed || next.rss.reta.size() != before.rss.reta.size() || !c.add.empty() ||
             !c.remove.empty();
  if (p.global) {
    p.buckets_moved = uint32_t(next.rss.reta.size());
    std::fill(p.loser.begin(), p.loser.end(), 1);
    std::fill(p.gainer.begin(), p.gainer.end(), 1);
  } else {
    p.moved_from.assign(next.rss.reta.size(), ChangePlan::kStayed);
    for (size_t b = 0; b < next.rss.reta.size(); ++b)
      if (next.rss.reta[b] != before.rss.reta[b]) {
        ++p.buckets_moved;
        p.moved_from[b] = before.rss.reta[b];
        p.loser[before.rss.reta[b]] = 1;
        p.gainer[next.rss.reta[b]] = 1;
      }
  }
  for (uint16_t q = 0; q < queues; ++q) {
    if (p.loser[q]) p.losers.push_back(q);
    if (p.gainer[q]) p.gainers.push_back(q);
  }
  p.drain.on = next.drain && p.buckets_moved > 0;
  p.drain.timeout_ms = next.drain_timeout_ms;
  return {};
}

SteeringChange difference(const SteeringConfig& have, const SteeringConfig& want) {
  SteeringChange c;
  if (want.rss.key != have.rss.key) c.key = want.rss.key;
  if (want.rss.types != have.rss.types) c.types = want.rss.types;
  if (want.rss.reta != have.rss.reta) c.reta = want.rss.reta;
  for (const auto& r : have.flows)
    if (!find_rule(want.flows, r.name)) c.remove.push_back(r.name);
  for (const auto& r : want.flows) {
    const FlowRule* old = find_rule(have.flows, r.name);
    if (!old || !(*old == r)) c.add.push_back(r);
  }
  return c;
}

ChangeReport report_of(const std::string& port, const ChangePlan& p, uint64_t generation) {
  ChangeReport r;
  r.port = port;
  r.generation = generation;
  r.buckets_moved = p.buckets_moved;
  r.losers = p.losers;
  r.gainers = p.gainers;
  r.drained = p.drain.on;
  return r;
}

}  // namespace steer
