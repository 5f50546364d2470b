// The hardware backend: the NIC classifies (RSS key and types, RETA, rte_flow
// rules) and one worker runs each device queue to completion. A live change
// is one device transaction (new rules, key, RETA, old rules removed; undone
// in reverse on failure) wrapped in a drain the workers run on their queues
// (worker/hw_drain.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../worker/worker.h"
#include "backend.h"
#include "steer/running_table.h"

namespace steer {

class HardwareBackend final : public SteeringBackend {
 public:
  HardwareBackend(std::unique_ptr<SteeringDevice> dev, const HwCaps& caps);
  ~HardwareBackend() override;

  SteeringMode kind() const override { return SteeringMode::Hardware; }
  std::vector<ConfigError> check(const std::string& port, const ChangePlan& p) override;
  std::vector<ConfigError> apply(const std::string& port, const ChangePlan& p, uint64_t gen,
                                 ChangeReport& rep) override;

  // On a started port: key and hash types, the RETA in the device's size, and
  // every rule. "" when the device took all of it; otherwise why not, with
  // the rules it created destroyed again.
  std::string start(const SteeringConfig& sc, uint16_t queues);
  // Removes every rule it created (before the port closes).
  void remove_rules();

  // What the workers polling the port's queues share with it (set up before
  // they launch), and which workers those are (for the grace period).
  void attach_queues(uint16_t queues);
  HwShared& shared() { return shared_; }
  void add_poller(Worker* w);

 private:
  using Flows = std::map<std::string, std::vector<rte_flow*>>;  // by rule name: one per IP family
  std::string create_rules(const RssConfig& rss, const RuleList& rules, uint16_t queues, bool validate, Flows* out);
  void destroy_rules(Flows& flows);
  std::string device_change(const ChangePlan& p, Flows* created, std::vector<FlowRule>* destroyed, bool* hashed,
                            bool* reta_set);
  std::string undo(const ChangePlan& p, Flows& created, const std::vector<FlowRule>& destroyed, bool hashed,
                   bool reta_set);
  // Unpublishes the drain; returns it once no worker can read it, or null
  // when one that stopped polling still may (then it is never freed).
  std::unique_ptr<HwDrain> retire_drain();
  void give_back_table(const ChangePlan& p, bool applied);

  std::unique_ptr<SteeringDevice> dev_;
  HwCaps caps_;
  HwShared shared_;
  Flows flows_;
  std::vector<Worker*> pollers_;
  RunningTable running_;  // the drain's old table, kept between changes
};

}  // namespace steer
