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

#include "steer/rule_list.h"

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

// ---- Steering (per port) ---------------------------------------------------

enum class SteeringMode : uint8_t { Auto, Hardware, Software };

// RSS hash types, as bits. A packet hashes over the widest tuple its type
// enables: L4 ports when its L4 type is on, else addresses when its IP type is
// on, else it is not hashed (hash 0).
enum RssType : uint32_t {
  kRssIpv4 = 1u << 0,
  kRssIpv4Tcp = 1u << 1,
  kRssIpv4Udp = 1u << 2,
  kRssIpv6 = 1u << 3,
  kRssIpv6Tcp = 1u << 4,
  kRssIpv6Udp = 1u << 5,
  kRssAll = 0x3f,
};

// The key of Microsoft's RSS verification suite, the usual NIC default.
std::vector<uint8_t> default_rss_key();

struct RssConfig {
  uint32_t types = kRssAll;
  std::vector<uint8_t> key = default_rss_key();  // 40 or 52 bytes
  std::vector<uint16_t> reta;                    // bucket -> queue; size is the RETA size
  friend bool operator==(const RssConfig&, const RssConfig&) = default;
};

struct SteeringConfig {
  SteeringMode mode = SteeringMode::Auto;
  RssConfig rss;
  RuleList flows;     // copies share unchanged rules (rule_list.h)
  bool drain = true;  // false only to measure what reordering looks like
  uint32_t drain_timeout_ms = 100;
  friend bool operator==(const SteeringConfig&, const SteeringConfig&) = default;
};

// Ordering audit at TX: flow id and sequence number read from the payload.
struct AuditConfig {
  uint16_t flow_offset = 46;  // IPv4/UDP steer-trafgen frames (steer/evidence.h)
  uint16_t seq_offset = 50;
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
  std::optional<SteeringConfig> steering;
  std::optional<AuditConfig> audit;
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
  std::vector<QueueId> poll;      // RX queues this worker owns (logical queues under software steering)
  std::vector<QueueId> dispatch;  // device RX queues this lcore dispatches (software steering)
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

// Where steerd's control plane listens.
struct ControlConfig {
  std::string socket = "/run/steerd/steerd.sock";  // unix socket; empty: no unix listener
  std::string group;                               // the socket's group (mode 0660); empty: root's
  // Optional TCP listener: TLS with cert + key (client_ca turns on mTLS), or
  // plain TCP only on a loopback address with insecure: true.
  std::string tcp_address;                       // "host:port"; empty: no TCP listener
  std::string tls_cert, tls_key, tls_client_ca;  // PEM file paths
  bool insecure = false;
};

// Log levels (README "Operating steerd"): steerd's own lines, and DPDK's
// (rte_log), which go to the same logger.
struct LogConfig {
  std::string level = "info";   // one of kLogLevels
  std::string dpdk = "notice";  // one of kDpdkLogLevels
};
inline constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
// DPDK's, in order: index + 1 is RTE_LOG_EMERG .. RTE_LOG_DEBUG.
inline constexpr const char* kDpdkLogLevels[] = {"emergency", "alert",  "critical", "error",
                                                 "warning",   "notice", "info",     "debug"};

// The Prometheus endpoint (README "Operating steerd"); off when empty.
struct MetricsConfig {
  std::string address;  // "HOST:PORT", e.g. "127.0.0.1:9464"
};

// Who steerd runs as once it is up (README "Privileges").
struct PrivilegesConfig {
  std::string user;  // after init, become this user in every thread; empty: stay as started
};

struct Deployment {
  EalConfig eal;
  ControlConfig control;
  PrivilegesConfig privileges;
  LogConfig log;
  MetricsConfig metrics;
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
const char* to_string(SteeringMode m);
// Text forms of MACs, keys, prefixes, queues, hash types and rules: steer/text.h.

}  // namespace steer
