// The software backend: the port's device RX queues are polled by dispatcher
// lcores that classify each packet and hand it to its logical queue's worker
// over an SPSC ring (dispatch/dispatcher.h). A live change is a new
// SteerSnapshot published to the dispatchers, which drain moved flows
// themselves. Two snapshots take turns (left-right): once every dispatcher
// finished with the old one, it is kept as the spare, and the next change
// brings the spare up to date by the two changes it missed (its own table
// update, O(rules changed)) instead of building a table of every rule.
#pragma once

#include <rte_ring.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../dispatch/dispatcher.h"
#include "../published.h"
#include "backend.h"

namespace steer {

class SoftwareBackend final : public SteeringBackend {
 public:
  ~SoftwareBackend() override;

  // Rings from each dispatcher of port `i` to each logical queue, the
  // dispatchers (joined to their lcores in `lcores`, created as needed), the
  // TX hand-back ring where the port needs one, and the first snapshot. Runs
  // after the port is configured, before any lcore starts.
  static std::vector<ConfigError> create(const Deployment& d, size_t i, uint16_t port_id, int socket, unsigned instance,
                                         uint64_t generation, std::vector<std::unique_ptr<DispatcherLcore>>& lcores,
                                         std::unique_ptr<SoftwareBackend>* out);

  SteeringMode kind() const override { return SteeringMode::Software; }
  std::vector<ConfigError> check(const std::string&, const ChangePlan&) override { return {}; }
  std::vector<ConfigError> apply(const std::string& port, const ChangePlan& p, uint64_t gen,
                                 ChangeReport& rep) override;

  const std::vector<std::unique_ptr<Dispatch>>& dispatchers() const { return dispatch_; }
  rte_ring* tx_ring() const { return tx_ring_; }

  // stop(): waits (up to `deadline`) for the workers to empty the rings.
  void wait_rings_empty(std::chrono::steady_clock::time_point deadline) const;
  // stop(): transmits what the workers left on the TX hand-back ring.
  void flush_handback(uint16_t tx_retries);

 private:
  static std::unique_ptr<SteerSnapshot> snapshot(const SteeringConfig& cfg, uint64_t generation,
                                                 const DrainPolicy& drain);

  Published<SteerSnapshot> current_;
  // The snapshot no dispatcher reads (the one before current_), and what it
  // lacks: the change that made current_ from it.
  struct Missed {
    RssConfig rss;
    std::vector<FlowRule> erase, insert;
  };
  std::unique_ptr<SteerSnapshot> spare_;
  Missed spare_missed_;
  std::vector<std::unique_ptr<Dispatch>> dispatch_;           // per device RX queue
  std::vector<std::vector<std::unique_ptr<RingDone>>> done_;  // [device queue][logical queue]
  rte_ring* tx_ring_ = nullptr;                               // TX hand-back, transmitted by dispatch_[0]
};

}  // namespace steer
