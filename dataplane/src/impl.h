// What the Dataplane facade holds, shared by its files: ports.cpp (probe,
// configure, close), dataplane.cpp (start/stop, workers, changes) and
// stats.cpp. Control thread only, except where a field says otherwise.
#pragma once

#include <rte_mempool.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/hardware.h"
#include "backend/software.h"
#include "dispatch/dispatcher.h"
#include "guard/peer_queues.h"
#include "steer/dataplane.h"
#include "worker/worker.h"

namespace steer {

struct Dataplane::Impl {
  Deployment d;
  Plan plan;
  StartOptions options;
  std::vector<PortInfo> ports;
  std::vector<bool> probed_by_us;
  std::vector<bool> port_started;
  std::vector<uint16_t> dispatched;        // per port: device queues declared for dispatchers
  std::vector<uint16_t> device_rx_queues;  // per port: queues opened on the device
  std::vector<PeerQueues> peer;            // per port: the queues its peer backs (memif may back fewer)
  // Per port where the PMD reports no peer queues and there are 2 to 254 TX
  // queues: steerd's own count of TX queues still used (255: all), which
  // check_tx_queues lowers; peer[i].tx points at it. Null otherwise.
  std::vector<std::unique_ptr<uint8_t>> tx_limit;
  struct TxWatch {
    bool up = false;
    std::vector<uint64_t> accepted0, offered0;  // per TX queue, when the link came up
    bool reported = false;
  };
  std::vector<TxWatch> tx_watch;
  std::vector<rte_mempool*> pools;  // index as plan.pools
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::unique_ptr<DispatcherLcore>> dispatchers;
  std::vector<std::unique_ptr<Audit>> audits;  // per output port, or null
  bool running = false;
  bool stopped = true;
  static inline std::atomic<unsigned> instances{0};
  unsigned instance = 0;

  // Per port: its steering and the backend that applies it (at most one of
  // hw/soft; neither when the port is not steered).
  struct PortSteering {
    SteeringConfig cfg;
    uint64_t generation = 0;
    std::unique_ptr<HardwareBackend> hw;
    std::unique_ptr<SoftwareBackend> soft;
    SteeringBackend* backend() const { return hw ? static_cast<SteeringBackend*>(hw.get()) : soft.get(); }
  };
  std::vector<PortSteering> steering;
  // Readers of cfg/generation (gRPC threads) and the change that assigns them.
  mutable std::mutex state_mutex;

  // ports.cpp
  std::vector<ConfigError> probe_ports();
  bool configure_port(size_t i, std::vector<ConfigError>& errs);
  std::vector<ConfigError> setup_ports();
  void close_ports();
  ConfigError needs_dispatcher(size_t i, const std::string& why) const;
  // dataplane.cpp
  std::vector<ConfigError> create_pools();
  std::vector<ConfigError> setup_steering();
  void build_workers();
  void release();
  size_t port_index(const std::string& name) const;  // ports.size() when none
};

}  // namespace steer
