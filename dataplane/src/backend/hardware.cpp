#include "hardware.h"

#include <rte_cycles.h>
#include <rte_errno.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace steer {
HardwareBackend::HardwareBackend(std::unique_ptr<SteeringDevice> dev, const HwCaps& caps)
    : dev_(std::move(dev)), caps_(caps) {
  shared_.dev = dev_.get();
}

HardwareBackend::~HardwareBackend() {
  remove_rules();
}

void HardwareBackend::attach_queues(uint16_t queues) {
  shared_.q = std::make_unique<HwQueue[]>(queues);
}

void HardwareBackend::add_poller(Worker* w) {
  if (std::find(pollers_.begin(), pollers_.end(), w) == pollers_.end()) pollers_.push_back(w);
}

// Creates `rules` on the device, into `out`, each asked of rte_flow_validate
// first when `validate` (a deployment's rules at start; a change's were
// validated by check(), and a real NIC's validate is a driver call per flow,
// which rte_flow_create repeats anyway). On failure destroys what it created
// and returns why.
std::string HardwareBackend::create_rules(const RssConfig& rss, const RuleList& rules, uint16_t queues, bool validate,
                                          Flows* out) {
  for (const FlowRule& r : rules) {
    std::vector<rte_flow*>& made = (*out)[r.name];
    for (const auto& spec : translate_rule(r, rss, queues)) {
      rte_flow_error e{};
      const int rc = validate ? dev_->flow_validate(*spec, &e) : 0;
      std::string why = rc != 0 ? flow_error_text("rte_flow_validate", e, rc) : "";
      if (why.empty()) {
        e = rte_flow_error{};
        if (rte_flow* f = dev_->flow_create(*spec, &e))
          made.push_back(f);
        else
          why = flow_error_text("rte_flow_create", e, -rte_errno);
      }
      if (!why.empty()) {
        destroy_rules(*out);
        return "rule " + r.name + ": " + why;
      }
    }
  }
  return "";
}

void HardwareBackend::destroy_rules(Flows& flows) {
  for (auto& [name, fs] : flows)
    for (rte_flow* f : fs) {
      rte_flow_error e{};
      (void)dev_->flow_destroy(f, &e);
    }
  flows.clear();
}

void HardwareBackend::remove_rules() {
  if (dev_) destroy_rules(flows_);
}

std::string HardwareBackend::start(const SteeringConfig& sc, uint16_t queues) {
  running_.reset();
  if (int rc = dev_->rss_hash_update(sc.rss.key, rss_hf(sc.rss.types) & caps_.rss_offloads); rc != 0)
    return "rte_eth_dev_rss_hash_update refused the key and hash types (" + errno_text(rc) + ")";
  auto reta = reta_entries(sc.rss.reta, caps_.reta_size);
  if (int rc = dev_->reta_update(reta, caps_.reta_size); rc != 0)
    return "rte_eth_dev_rss_reta_update refused a " + std::to_string(caps_.reta_size) + "-entry RETA (" +
           errno_text(rc) + ")";
  return create_rules(sc.rss, sc.flows, queues, true, &flows_);
}

std::vector<ConfigError> HardwareBackend::check(const std::string& port, const ChangePlan& p) {
  const SteeringConfig& next = p.after;
  if (caps_.key_size && next.rss.key.size() != caps_.key_size)
    return {{"steering.rss.key", "port " + port + " (" + caps_.driver + ") takes a " + std::to_string(caps_.key_size) +
                                     "-byte RSS key, not " + std::to_string(next.rss.key.size())}};
  if (uint64_t missing = rss_hf_required(next.rss.types) & ~caps_.rss_offloads; missing)
    return {{"steering.rss.types", "port " + port + " (" + caps_.driver +
                                       ") cannot hash every type asked for (RTE_ETH_RSS_* bits 0x" + hex_u64(missing) +
                                       " missing); drop those types"}};
  if (caps_.reta_size % next.rss.reta.size() != 0)
    return {{"steering.rss.reta", "port " + port + "'s RETA has " + std::to_string(caps_.reta_size) +
                                      " entries; give " + std::to_string(caps_.reta_size) +
                                      " or a power of two below it, not " + std::to_string(next.rss.reta.size())}};
  for (const FlowRule& r : p.create) {
    for (const auto& spec : translate_rule(r, next.rss, p.queues)) {
      rte_flow_error e{};
      if (int rc = dev_->flow_validate(*spec, &e); rc != 0) {
        // The rule's place in the config, looked for only now: O(rules).
        const size_t j = size_t(
            std::find_if(next.flows.begin(), next.flows.end(), [&](const FlowRule& x) { return x.name == r.name; }) -
            next.flows.begin());
        return {{"steering.flows[" + std::to_string(j) + "]", "rule " + r.name + ": " +
                                                                  flow_error_text("rte_flow_validate", e, rc) +
                                                                  "; change the match or steer this port in software"}};
      }
    }
  }
  return {};
}

// Unpublishes the drain and hands it back once every worker polling the port
// has finished the loop iteration that may still read it.
std::unique_ptr<HwDrain> HardwareBackend::retire_drain() {
  std::unique_ptr<HwDrain> dr = shared_.drain.publish(nullptr);
  if (!dr) return nullptr;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (Worker* w : pollers_) {
    const uint64_t seen = w->quiescent.load(std::memory_order_acquire);
    while (w->quiescent.load(std::memory_order_acquire) == seen) {
      if (std::chrono::steady_clock::now() > deadline) {
        (void)dr.release();  // a worker that stopped polling may still hold it: keep it
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(10));
    }
  }
  return dr;
}

// Ends the drain and keeps its old table for the next change (it becomes
// p.after's when `applied`).
void HardwareBackend::give_back_table(const ChangePlan& p, bool applied) {
  std::unique_ptr<HwDrain> dr = retire_drain();
  running_.give_back(dr ? std::move(dr->old_table) : nullptr, p, applied);
}

// The device calls, in the order that leaves the least to undo: new rules,
// key and hash types, RETA, old rules removed. Returns why one failed ("" if
// none), with what was done so far in the out-parameters.
std::string HardwareBackend::device_change(const ChangePlan& p, Flows* created, std::vector<FlowRule>* destroyed,
                                           bool* hashed, bool* reta_set) {
  const SteeringConfig& next = p.after;
  std::string why = create_rules(next.rss, p.create, p.queues, false, created);
  if (why.empty() && (p.key_changed || p.types_changed)) {
    if (int rc = dev_->rss_hash_update(next.rss.key, rss_hf(next.rss.types) & caps_.rss_offloads); rc != 0)
      why = "rte_eth_dev_rss_hash_update refused the key and hash types (" + errno_text(rc) + ")";
    else
      *hashed = true;
  }
  if (why.empty() && p.reta_changed) {
    auto reta = reta_entries(next.rss.reta, caps_.reta_size);
    if (int rc = dev_->reta_update(reta, caps_.reta_size); rc != 0)
      why = "rte_eth_dev_rss_reta_update refused the RETA (" + errno_text(rc) + ")";
    else
      *reta_set = true;
  }
  if (!why.empty()) return why;
  for (size_t k = 0; k < p.destroy.size(); ++k) {
    const std::string& name = p.destroy[k];
    auto fs = flows_.find(name);
    if (fs == flows_.end()) continue;
    for (auto f = fs->second.begin(); f != fs->second.end();) {
      rte_flow_error e{};
      if (int rc = dev_->flow_destroy(*f, &e); rc != 0)
        return "rule " + name + ": " + flow_error_text("rte_flow_destroy", e, rc);
      f = fs->second.erase(f);
    }
    destroyed->push_back(p.destroyed[k]);
    flows_.erase(fs);
  }
  return "";
}

// Back to the previous generation, in reverse. Returns what could not be
// restored ("" when everything was).
std::string HardwareBackend::undo(const ChangePlan& p, Flows& created, const std::vector<FlowRule>& destroyed,
                                  bool hashed, bool reta_set) {
  const SteeringConfig& prev = p.before;
  std::string failed;
  Flows again;
  for (const FlowRule& r : destroyed) {
    std::string e = create_rules(prev.rss, RuleList{r}, p.queues, false, &again);  // on the device until now
    if (!e.empty()) failed += "; re-creating " + e;
    for (auto& [name, fs] : again) flows_[name] = fs;
    again.clear();
  }
  if (reta_set) {
    auto reta = reta_entries(prev.rss.reta, caps_.reta_size);
    if (int rc = dev_->reta_update(reta, caps_.reta_size); rc != 0)
      failed += "; restoring the RETA failed (" + errno_text(rc) + ")";
  }
  if (hashed)
    if (int rc = dev_->rss_hash_update(prev.rss.key, rss_hf(prev.rss.types) & caps_.rss_offloads); rc != 0)
      failed += "; restoring the key failed (" + errno_text(rc) + ")";
  destroy_rules(created);
  return failed;
}

// Gainers start parking moved flows first; then the device transaction; then
// the losers' fences and the gainers' release.
std::vector<ConfigError> HardwareBackend::apply(const std::string& port, const ChangePlan& p, uint64_t gen,
                                                ChangeReport& rep) {
  const uint64_t hz = rte_get_tsc_hz();
  HwDrain* dr = nullptr;
  if (p.drain.on) {
    auto fresh = std::make_unique<HwDrain>();
    fresh->generation = gen;
    fresh->loser = p.loser;
    fresh->gainer = p.gainer;
    fresh->losers = p.losers;
    if (!p.global) fresh->moved_from = p.moved_from;
    fresh->old_table = running_.take(p.before);
    fresh->timeout_cycles = p.drain.timeout_cycles(hz);
    dr = fresh.get();
    (void)shared_.drain.publish(std::move(fresh));  // nothing was published before
    // Every gainer must be parking before the device moves a flow to it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (uint16_t q : p.gainers)
      while (shared_.q[q].seen.load(std::memory_order_acquire) != gen) {
        if (std::chrono::steady_clock::now() > deadline) {
          give_back_table(p, false);
          return {{"port",
                   "the worker polling " + port + ":" + std::to_string(q) + " did not take the change within 2 s",
                   ErrorKind::Unavailable}};
        }
        std::this_thread::sleep_for(std::chrono::microseconds(10));
      }
  }

  const uint64_t t0 = rte_rdtsc();
  Flows created;
  std::vector<FlowRule> destroyed;
  bool hashed = false, reta_set = false;
  const std::string why = device_change(p, &created, &destroyed, &hashed, &reta_set);
  const std::string undo_failed = why.empty() ? "" : undo(p, created, destroyed, hashed, reta_set);
  const uint64_t t1 = rte_rdtsc();

  if (dr) {  // the losers' fences start now; the gainers release once all are crossed
    dr->applied_tsc.store(t1, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(p.drain.wait_ms());
    uint64_t released_max = t1;
    for (uint16_t q : p.gainers) {
      HwQueue& hq = shared_.q[q];
      while (hq.released.load(std::memory_order_acquire) != gen && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(10));
      if (hq.released.load(std::memory_order_acquire) != gen) {
        ++rep.timeouts;  // its lcore stopped polling; retire_drain keeps what it may still read
        continue;
      }
      if (int64_t(hq.released_tsc - released_max) > 0) released_max = hq.released_tsc;
      rep.held += hq.held;
      rep.longest_hold_us = std::max(rep.longest_hold_us, double(hq.hold_cycles) * 1e6 / double(hz));
      rep.timeouts += hq.timed_out;
    }
    rep.drain_us = std::max(0.0, double(int64_t(released_max - t1)) * 1e6 / double(hz));
    give_back_table(p, why.empty());
  } else {
    running_.went_by(p, why.empty());
  }
  const uint64_t prev_gen = gen - 1;
  if (!why.empty())
    return {{"port",
             "port " + port + ": " + why +
                 (undo_failed.empty() ? "; rolled back, the port stays at generation " + std::to_string(prev_gen)
                                      : "; rolling back failed too" + undo_failed +
                                            ": the device may differ from generation " + std::to_string(prev_gen))}};
  for (auto& [name, fs] : created) flows_[name] = fs;
  rep.apply_us = double(t1 - t0) * 1e6 / double(hz);
  return {};
}

}  // namespace steer
