// The plan: what a validated Deployment will allocate, computed before anything
// is touched. Pure arithmetic over the model; printed by `steerd --check` and
// used by the dataplane to size its mempools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "steer/model.h"
#include "steer/validate.h"

namespace steer {

// What a pool on one socket must hold at once, term by term.
struct PoolNeed {
  uint64_t rx_desc = 0;      // sum of rx_queues * rx_desc over the socket's ports
  uint64_t tx_desc = 0;      // sum of tx_queues * tx_desc
  uint64_t lcore_cache = 0;  // per-lcore mempool caches at their flush threshold (1.5 x cache)
  uint64_t lcore_burst = 0;  // one burst in hand per lcore
  uint64_t sw_rings = 0;     // software steering rings
  uint64_t hold = 0;         // drain hold budget
  uint64_t total() const { return rx_desc + tx_desc + lcore_cache + lcore_burst + sw_rings + hold; }
};

struct PoolPlan {
  size_t config_index = 0;  // index into Deployment::mempools
  int socket = 0;
  std::vector<uint16_t> ports;  // ports whose RX queues draw from this pool
  unsigned lcores = 0;          // lcores that hold mbufs of this pool (workers + main)
  PoolNeed need;
  uint32_t required = 0;  // need.total() rounded up to 2^n - 1
  uint32_t mbufs = 0;     // what will be allocated (required when auto)
  bool auto_sized = true;
  uint32_t cache = 0;
  uint32_t elt_bytes = 0;  // estimated bytes per mbuf including headers
  uint64_t bytes() const { return uint64_t(mbufs) * elt_bytes; }
};

struct Plan {
  std::vector<int> port_socket;                   // socket each port's memory lives on
  std::vector<PoolPlan> pools;                    // one per configured mempool
  std::vector<int> port_pool;                     // index into pools for each port
  std::vector<std::vector<unsigned>> tx_senders;  // per port: lcores owning TX queue k
  std::vector<std::vector<int>> queue_pipeline;   // per port, per RX queue
  uint64_t memory_bytes = 0;                      // pools + descriptor rings + EAL overhead, estimated
};

// Packets one dispatcher may park during a drain before it releases early.
constexpr uint64_t kHoldBudget = 8192;
// Packets one worker may park per hardware-steered queue during a drain.
constexpr uint64_t kHwHoldBudget = 1024;

// Rounds up to the next 2^n - 1 (the mempool size DPDK uses best).
uint32_t round_pool_size(uint64_t n);

// `port_socket[i]` is the socket of port i (-1 = unknown: use the first pool's
// socket). Errors when a port's socket has no pool or an explicit `mbufs` is
// below what the deployment needs (the message prints the breakdown).
Plan make_plan(const Deployment& d, const std::vector<int>& port_socket, std::vector<ConfigError>* errors);

// Human-readable plan, as `steerd --check` prints it.
std::string format_plan(const Deployment& d, const Plan& p);

// With hugepages on: the error sentence when `free_bytes` cannot hold the plan,
// empty when it can.
std::string check_hugepage_memory(const Plan& p, uint64_t free_bytes);

}  // namespace steer
