// The dataplane: ports, mempools and worker lcores of one validated
// Deployment. Needs an initialised EAL (eal.h builds its arguments).
//
// Control side (start/stop/close/stats) is called from one control thread.
// Workers see their configuration only through an immutable WorkerPlan
// published with release/acquire, and write only their own counters.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "steer/model.h"
#include "steer/plan.h"
#include "steer/stats.h"
#include "steer/validate.h"

namespace steer {

struct PortInfo {
  std::string name;
  uint16_t port_id = 0;
  int socket = -1;  // what the device reports (-1: unknown)
  MacAddr mac{};
  DeviceCaps caps;
  // Steering: the backend chosen at start and why; the generation every
  // successful change increments (0 before any change).
  bool steered = false;
  SteeringMode backend = SteeringMode::Software;
  std::string backend_reason;
  uint64_t generation = 0;
};

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
};

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

class SteeringDevice;

// Where the hardware backend sends its device calls for a port: null means
// the port's own rte_ethdev/rte_flow (what steerd uses). Tests return a model
// NIC here.
using SteeringDeviceFactory = std::function<std::unique_ptr<SteeringDevice>(const std::string& port, uint16_t port_id)>;

class Dataplane {
 public:
  Dataplane();
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Probes every port, checks device limits and NUMA placement, creates the
  // pools, configures and starts the ports and launches the workers. On any
  // error nothing is left running and the errors (with field paths) return.
  // `warnings` receives the numa: warn findings.
  [[nodiscard]] std::vector<ConfigError> start(const Deployment& d, std::vector<std::string>* warnings);

  // Before start(): the device calls of hardware-steered ports.
  void set_steering_device_factory(SteeringDeviceFactory f);

  // Stops RX on every worker, waits for them to finish what they hold, then
  // stops the ports. Counters stay readable. Idempotent.
  void stop();

  // Closes the ports (removing the devices it probed) and frees the pools.
  void close();

  // Live steering: validated whole against the port before anything is
  // touched, then published with the drain protocol. Errors name the field;
  // on error nothing changed. One caller at a time (the Controller).
  [[nodiscard]] std::vector<ConfigError> change_steering(const std::string& port, const SteeringChange& change,
                                                         ChangeReport* report);
  std::vector<ChangeReport> change_reports() const;  // the last 64
  std::optional<SteeringConfig> steering(const std::string& port) const;
  uint64_t generation(const std::string& port) const;  // 0 before any change

  // Link state now (rte_eth_link_get_nowait): up, speed in Mb/s.
  struct Link {
    bool up = false;
    uint32_t speed_mbps = 0;
  };
  std::vector<Link> links() const;

  bool running() const;
  StatsSnapshot stats() const;
  const Plan& plan() const;
  // Fixed at start; read `generation` through generation(), which is
  // synchronised with changes.
  const std::vector<PortInfo>& ports() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steer
