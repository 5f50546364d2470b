// Validation of a Deployment: pure functions over the model, no DPDK, no YAML.
//
// Every error carries the field path it is about ("lcores[1].poll[0]") so the
// YAML loader can add file:line:column and the gRPC layer (later) a field path.
// Messages say what is wrong, the value, and what to change.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "steer/model.h"

namespace steer {

// What kind of refusal an error is, so the API can map it to its own status.
enum class ErrorKind : uint8_t { Invalid, NotFound, Precondition, Unavailable };

struct ConfigError {
  std::string path;
  std::string message;
  ErrorKind kind = ErrorKind::Invalid;
};

// Cross-field checks that need nothing but the model.
std::vector<ConfigError> validate(const Deployment& d);

// DPDK's --lcores syntax ("0-2", "1,3", "(0-3)@(0,1)", "0@0,1@1") to the sorted
// set of lcore ids it enables. On a syntax error returns nullopt and sets *why.
std::optional<std::vector<unsigned>> parse_lcore_set(const std::string& spec, std::string* why);

// What a probed device can do. Filled from rte_eth_dev_info in the dataplane,
// or by hand in tests.
struct DeviceCaps {
  std::string driver;
  uint16_t max_rx_queues = 0;
  uint16_t max_tx_queues = 0;
  uint16_t rx_desc_max = 0;  // 0 = no limit reported
  uint16_t tx_desc_max = 0;
};

// Queue counts and descriptor counts against what the device supports.
std::vector<ConfigError> check_device(const Deployment& d, size_t port, const DeviceCaps& caps);

// NUMA placement: `socket_of_port[i]` is the socket port i lives on (-1 when
// the device does not say, e.g. a vdev); `socket_of_lcore` maps an lcore id to
// its socket. Under numa: warn, cross-socket polling lands in *warnings; under
// numa: strict it is an error.
struct SocketMap {
  std::vector<int> socket_of_port;
  std::function<int(unsigned lcore)> socket_of_lcore;
};
std::vector<ConfigError> check_numa(const Deployment& d, const SocketMap& sockets, std::vector<std::string>* warnings);

// Which lcores send on each port (echo back to the RX port, or forward to
// `to`), sorted: the k-th sender owns TX queue k alone.
std::vector<std::vector<unsigned>> tx_senders(const Deployment& d);

// True when a software-steered port has fewer TX queues than lcores sending on
// it: the senders then hand their packets to the port's dispatcher over one
// multi-producer ring, and the dispatcher transmits on TX queue 0.
bool tx_handback(const Deployment& d, size_t port);

// Index into d.pipelines of the pipeline handling each RX queue, per port;
// -1 where none does (validate() reports that).
std::vector<std::vector<int>> queue_pipelines(const Deployment& d);

}  // namespace steer
