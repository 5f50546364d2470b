// The dataplane: ports, mempools and worker lcores of one validated
// Deployment. Needs an initialised EAL (eal.h builds its arguments).
//
// Control side (start/stop/close/stats) is called from one control thread.
// Workers see their configuration only through an immutable WorkerPlan
// published with release/acquire, and write only their own counters.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "steer/change.h"
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
  // Steering: the backend chosen at start and why (the generation, which
  // changes, is Dataplane::generation()).
  bool steered = false;
  SteeringMode backend = SteeringMode::Software;
  std::string backend_reason;
};

class SteeringDevice;

// Where the hardware backend sends its device calls for a port: null means
// the port's own rte_ethdev/rte_flow (what steerd uses). Tests return a model
// NIC here.
using SteeringDeviceFactory = std::function<std::unique_ptr<SteeringDevice>(const std::string& port, uint16_t port_id)>;

// What tests and benchmarks change about a start; steerd passes none.
struct StartOptions {
  SteeringDeviceFactory device_factory;         // the hardware backend's device calls (null: rte_ethdev/rte_flow)
  std::map<unsigned, uint32_t> slow_worker_us;  // worker lcore -> spin this long per burst (a slow worker)
  // Tests only (steerd --test-stall): worker lcore -> {after ms, for ms}: the
  // lcore stops looping for a while, as a stuck lcore would (the watchdog test).
  std::map<unsigned, std::pair<uint32_t, uint32_t>> stall_worker_ms;
  // Steered port -> the generation it starts at (0 if absent): a restart
  // that restores the state journal resumes where the last change left it.
  std::map<std::string, uint64_t> generations;
};

// A steered port's running steering, read together with its generation.
struct SteeringState {
  std::string port;
  size_t index = 0;  // into the deployment's ports: the handle check/apply_change take
  SteeringConfig config;
  uint64_t generation = 0;  // every applied change increments it (0 before any)
  uint16_t queues = 0;      // logical RX queues
  SteeringMode backend = SteeringMode::Software;
};

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
  [[nodiscard]] std::vector<ConfigError> start(const Deployment& d, std::vector<std::string>* warnings,
                                               const StartOptions& options = {});

  // Stops RX on every worker, waits for them to finish what they hold, then
  // stops the ports. Counters stay readable. Idempotent.
  void stop();

  // Closes the ports (removing the devices it probed) and frees the pools.
  void close();

  // Live steering, as the Controller drives it (controlplane/controller.h):
  // the state a change is planned against (the port found once, by name);
  // the device's own checks of a plan made against that state
  // (rte_flow_validate, key size, hash types, RETA size; nothing touched);
  // and the plan applied with the drain protocol as generation
  // state.generation + 1, refused if the port moved on since. Errors name
  // the field; after one nothing changed. One caller at a time; the state
  // readers may run beside it.
  [[nodiscard]] std::vector<ConfigError> steering_state(const std::string& port, SteeringState* out) const;
  [[nodiscard]] std::vector<ConfigError> check_change(const SteeringState& st, const ChangePlan& p);
  [[nodiscard]] std::vector<ConfigError> apply_change(const SteeringState& st, const ChangePlan& p,
                                                      ChangeReport* report);
  std::optional<SteeringConfig> steering(const std::string& port) const;
  uint64_t generation(const std::string& port) const;  // 0 before any change

  // Link state now (rte_eth_link_get_nowait): up, speed in Mb/s.
  // With the device queues its peer backs with a ring: fewer than opened when
  // a memif peer opened fewer queue pairs (those queues are never used; TX
  // to them is dropped and counted as `unbacked`). 0 while disconnected.
  struct Link {
    bool up = false;
    uint32_t speed_mbps = 0;
    uint16_t rx_queues = 0, tx_queues = 0;  // opened on the device
    uint16_t rx_backed = 0, tx_backed = 0;
    std::string peer_note;  // how the backed counts are known, when the PMD hides them
  };
  std::vector<Link> links() const;

  // The symptom of a TX queue with nothing behind it, on PMDs that do not
  // report their peer's queues (every PMD but memif): since the link last
  // came up, a queue was offered kStuckOffered packets or more and accepted
  // none while another queue of the port accepted some. When such queues are
  // the top ones (k..n-1, as a peer with fewer queues leaves them), steerd
  // stops handing them mbufs: links() reports k backed TX queues and the
  // lcores free and count what they would send there (`tx_dropped`,
  // `unbacked`). Reset when the link goes down and up. Returns what it found,
  // one sentence each, for the log; called by the control side (twice a
  // second), never by an lcore.
  static constexpr uint64_t kStuckOffered = 1024;
  struct TxFinding {
    std::string port, text;
  };
  std::vector<TxFinding> check_tx_queues();

  // Per lcore (workers and dispatchers): its loop count, which advances on
  // every iteration, busy or idle. A count that stops is a stuck lcore (the
  // systemd watchdog is petted only while every one advances).
  struct Heartbeat {
    unsigned lcore = 0;
    uint64_t loops = 0;
  };
  std::vector<Heartbeat> heartbeats() const;

  bool running() const;
  StatsSnapshot stats() const;
  const Plan& plan() const;
  const std::vector<PortInfo>& ports() const;  // fixed at start

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steer
