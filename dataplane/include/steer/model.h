// The deployment model: plain structs shared by YAML loading, (later) gRPC
// translation and the dataplane. Parse once, validate once (validate.h), then
// everything downstream takes a validated Deployment.
//
// No DPDK, no YAML here: this header is included by the control plane, the
// config loader, the dataplane and the tests alike.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace steer {

using MacAddr = std::array<uint8_t, 6>;

struct EalConfig {
  std::string lcores = "0-2";  // DPDK --lcores syntax, e.g. "0-2" or "(0-3)@(0,1)"
  unsigned main_lcore = 0;
  unsigned memory_mb = 512;
  bool hugepages = false;
  std::string file_prefix = "steerd";
  std::vector<std::string> extra_args;
};

struct MempoolConfig {
  int socket = 0;
  std::optional<uint32_t> mbufs;  // nullopt = auto (sized by plan.h)
  uint32_t cache = 256;
  uint16_t data_room = 2048;  // bytes of packet data per mbuf, headroom excluded
};

struct PortConfig {
  std::string name;
  std::string device;  // a vdev string ("net_memif0,role=server,...") or a PCI address
  uint16_t rx_queues = 1;
  uint16_t tx_queues = 1;
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  bool promiscuous = true;
  std::optional<int> socket;  // NUMA socket override; default: what the device reports
};

// One (port, queue) pair, by index into Deployment::ports.
struct QueueId {
  uint16_t port = 0;
  uint16_t queue = 0;
  friend bool operator==(const QueueId&, const QueueId&) = default;
  friend auto operator<=>(const QueueId&, const QueueId&) = default;
};

struct LcoreConfig {
  unsigned lcore = 0;
  std::vector<QueueId> poll;  // RX queues this worker owns
};

enum class Action : uint8_t { Echo, Forward, Drop };

struct PipelineConfig {
  std::vector<QueueId> queues;  // the RX queues this pipeline handles
  Action action = Action::Echo;
  std::optional<uint16_t> to;      // forward: output port index
  std::optional<MacAddr> dst_mac;  // forward: rewrite destination MAC
};

enum class PollMode : uint8_t { Busy, Adaptive };
enum class NumaPolicy : uint8_t { Warn, Strict };

struct DataplaneConfig {
  uint16_t burst = 32;
  PollMode poll = PollMode::Busy;
  uint16_t tx_retries = 8;  // partial tx_burst: retries before free-and-count
};

struct Deployment {
  EalConfig eal;
  std::vector<MempoolConfig> mempools{MempoolConfig{}};
  std::vector<PortConfig> ports;
  std::vector<LcoreConfig> lcores;
  std::vector<PipelineConfig> pipelines;
  DataplaneConfig dataplane;
  NumaPolicy numa = NumaPolicy::Warn;
};

constexpr uint16_t kMaxBurst = 512;
constexpr uint16_t kMaxQueuesPerPort = 1024;

const char* to_string(Action a);
const char* to_string(PollMode p);
const char* to_string(NumaPolicy n);
std::string format_mac(const MacAddr& m);
std::optional<MacAddr> parse_mac(const std::string& s);
std::string format_queue(const Deployment& d, QueueId q);  // "p0:1"

}  // namespace steer
