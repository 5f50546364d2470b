// A live steering change as data: what was asked (SteeringChange, a delta),
// what it becomes once merged and validated against the running config
// (ChangePlan: the one delta every backend applies), and what happened
// (ChangeReport). Computed once per change by the controller; the backends
// only act on it. Pure C++.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "steer/model.h"
#include "steer/validate.h"

namespace steer {

// One live steering change, applied whole or not at all. Unset parts keep
// their running value.
struct SteeringChange {
  std::optional<std::vector<uint8_t>> key;
  std::optional<uint32_t> types;
  std::optional<std::vector<uint16_t>> reta;
  std::vector<FlowRule> add;        // a rule with an existing name replaces it
  std::vector<std::string> remove;  // by name
  std::optional<uint64_t> expected_generation;
  bool dry_run = false;  // validate and report what would move; change nothing

  bool empty() const { return !key && !types && !reta && add.empty() && remove.empty(); }
};

// How a change drains, decided once: whether moved flows are held at all
// (something moved and drain: true) and for how long at most.
struct DrainPolicy {
  bool on = false;
  uint32_t timeout_ms = 100;
  // The bound on the control side's wait for lcores that take the change:
  // the drain's own timeout plus slack for lcores that sleep (adaptive poll).
  uint32_t wait_ms() const { return timeout_ms + 2000; }
  uint64_t timeout_cycles(uint64_t tsc_hz) const { return uint64_t(timeout_ms) * tsc_hz / 1000; }
};

// A validated change against one port's running steering: the whole next
// config and the delta between them, in the form each backend needs.
struct ChangePlan {
  SteeringConfig before, after;
  uint16_t queues = 0;  // the port's logical RX queues
  bool key_changed = false, types_changed = false, reta_changed = false;
  std::vector<FlowRule> create;      // rules new or replaced, as they will be
  std::vector<std::string> destroy;  // rules removed, or replaced (their old form)
  std::vector<FlowRule> destroyed;   // destroy's rules as they were in before.flows
  // Any flow may move (key, types, RETA size or rules changed): every queue
  // loses and gains, and the old table judges each packet. Otherwise only the
  // RETA buckets in moved_from moved.
  bool global = false;
  uint32_t buckets_moved = 0;
  std::vector<uint8_t> loser, gainer;  // per queue
  std::vector<uint16_t> losers, gainers;
  static constexpr uint16_t kStayed = UINT16_MAX;
  std::vector<uint16_t> moved_from;  // RETA-only: per bucket, the queue it left, or kStayed
  DrainPolicy drain;
  // Planned with a RuleIndex (`incremental`), which then follows the change
  // without being rebuilt: changed_at, the positions of the rules this change
  // added or replaced, counted before the removed ones close up (a position
  // below before.flows.size() is a replaced rule's, in before.flows too; one
  // above it, an appended rule's); removed_at, the removed rules' positions in
  // before.flows, ascending.
  bool incremental = false;
  std::vector<uint32_t> changed_at, removed_at;
  // A position of changed_at in after.flows.
  uint32_t after_pos(uint32_t at) const {
    return at - uint32_t(std::lower_bound(removed_at.begin(), removed_at.end(), at) - removed_at.begin());
  }

  bool changes_device_rules() const { return !create.empty() || !destroy.empty(); }
  // Whether a table of `after` is cheaper built afresh than one of `before`
  // updated with this change (most rules change, or the first ones come).
  bool rebuild_cheaper() const { return destroyed.size() + create.size() > after.flows.size() / 2 + 1024; }
};

// Every rule's position by name and by priority, for one rule set: whoever
// plans many changes against the same port (the controller) keeps one and
// updates it with each plan it applied, so that planning a change costs what
// the change touches, not the number of rules.
//
// Names to positions: open addressing with linear probing over 8-byte slots
// (32 bits of the name's hash, position + 1); the name itself stays in the
// rule list and is compared on a hash match. A std::unordered_map<string>
// took a node and a string a name and three cache misses a lookup, about a
// sixth of a 100-rule change's time at 100,000 rules.
class NameIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  void clear();
  size_t size() const { return n_; }
  // Where `name` is in `rules` (the list this index is of), or kNone.
  uint32_t find(std::string_view name, const RuleList& rules) const;
  // `name` is not in the index yet.
  void insert(std::string_view name, uint32_t pos);
  // `rules` (the list this index is of) loses the rules at `gone`
  // (positions, ascending): their names go, every later position moves down.
  // O(gone) probes and one pass over the slots.
  void erase_sorted(const std::vector<uint32_t>& gone, const RuleList& rules);
  // Starts loading the slot find(name) reads first, so a change's names
  // miss together instead of one after another (find's share of a streamed
  // change's server time: 3.8-5.2% before, 0.9-2.5% after, perf).
  void prefetch(std::string_view name) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[tag_of(name) & (slots_.size() - 1)]);
  }

 private:
  struct Slot {
    uint32_t tag = 0;   // the name's hash, low 32 bits; also where its probe starts
    uint32_t pos1 = 0;  // position + 1; 0: empty
  };
  static uint32_t tag_of(std::string_view name);
  void grow();
  std::vector<Slot> slots_;  // a power of two, at most half full
  size_t n_ = 0;
};

struct RuleIndex {
  NameIndex by_name;
  std::unordered_map<uint32_t, uint32_t> by_priority;
  void build(const RuleList& rules);
  // After `p` (planned with this index) was applied: the index of p.after.
  void update(const ChangePlan& p);
};

// Merges `c` into `before` and validates the result against `queues`. Errors
// name the request's fields ("types", "remove", "steering.rss.reta[3]"); on
// error `*out` is unspecified. With `index` (of before.flows), a change that
// removes nothing is merged and validated by what it touches only; the plan
// and the errors are the same either way.
std::vector<ConfigError> plan_change(const std::string& port, const SteeringConfig& before, uint16_t queues,
                                     const SteeringChange& c, ChangePlan* out, const RuleIndex* index = nullptr);

// The change that turns `have` into `want` (rules by name; a rule present in
// both but different is replaced).
SteeringChange difference(const SteeringConfig& have, const SteeringConfig& want);

struct ChangeReport {
  uint64_t id = 0;
  std::string port;
  uint64_t generation = 0;
  uint32_t buckets_moved = 0;  // RETA entries that changed queue (all of them for key/type/rule changes)
  std::vector<uint16_t> losers, gainers;
  bool drained = false;  // a drain ran (something moved and drain: true)
  // Software: publish until every dispatcher adopted the new table; hardware:
  // the device calls (rules created, key, RETA, old rules destroyed).
  double apply_us = 0;
  // Software: adoption until the last loser crossed its fence (longest
  // dispatcher); hardware: the device change until the last gainer released.
  double drain_us = 0;
  uint64_t held = 0;  // packets parked because their flow moved
  double longest_hold_us = 0;
  uint64_t timeouts = 0;
};

// The report of a plan before it runs (a dry run's answer, and the start of
// every real report).
ChangeReport report_of(const std::string& port, const ChangePlan& p, uint64_t generation);

}  // namespace steer
