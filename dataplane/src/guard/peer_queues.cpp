// Locating memif's negotiated ring counts (peer_queues.h).
#include "peer_queues.h"

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_ethdev_core.h>
#include <rte_memzone.h>
#include <rte_version.h>

#include <cstdlib>
#include <cstring>

namespace steer {
namespace {

// Where nothing can be trusted: queue 0 only (a connected memif always has
// ring 0 in each direction).
const uint8_t kQueueZeroOnly = 1;

unsigned devarg(const std::string& args, const char* key, unsigned fallback) {
  const std::string k = std::string(key) + "=";
  size_t at = 0;
  while ((at = args.find(k, at)) != std::string::npos) {
    if (at == 0 || args[at - 1] == ',') return unsigned(std::strtoul(args.c_str() + at + k.size(), nullptr, 0));
    at += k.size();
  }
  return fallback;
}

// The port's private data, without ethdev's driver-only headers: find the
// port's entry in ethdev's shared data (the "rte_eth_dev_data" memzone) by its
// rx_queues array, which rte_eth_fp_ops publishes, and check every step
// against what the public API says (tx_queues array, queue counts). Null when
// anything does not check out.
const uint8_t* private_data(uint16_t port_id, uint16_t nb_rx, uint16_t nb_tx) {
  const rte_memzone* mz = rte_memzone_lookup("rte_eth_dev_data");
  const struct rte_eth_fp_ops& fp = rte_eth_fp_ops[port_id];
  if (!mz || !mz->addr || !fp.rxq.data || !fp.txq.data) return nullptr;
  const auto* base = static_cast<const uint8_t*>(mz->addr);
  const auto rxq = reinterpret_cast<uintptr_t>(fp.rxq.data), txq = reinterpret_cast<uintptr_t>(fp.txq.data);
  const uint8_t* found = nullptr;
  for (size_t k = 0; k + 40 <= mz->len; k += 8) {
    uintptr_t a, b;
    std::memcpy(&a, base + k, 8);
    if (a != rxq) continue;
    std::memcpy(&b, base + k + 8, 8);
    uint16_t n_rx, n_tx;
    std::memcpy(&n_rx, base + k + 16, 2);
    std::memcpy(&n_tx, base + k + 18, 2);
    if (b != txq || n_rx != nb_rx || n_tx != nb_tx) continue;
    if (found) return nullptr;  // not unique: trust nothing
    found = base + k;
  }
  if (!found) return nullptr;
  // rx_queues, tx_queues, nb_rx_queues, nb_tx_queues, sriov (6 bytes), then dev_private at +32.
  const uint8_t* priv;
  std::memcpy(&priv, found + 32, sizeof priv);
  return priv;
}

}  // namespace

PeerQueues find_peer_queues(uint16_t port_id, uint16_t nb_rx, uint16_t nb_tx) {
  PeerQueues out;
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port_id, &info) != 0 || !info.driver_name || std::strcmp(info.driver_name, "net_memif") != 0)
    return out;
  std::string args;
  if (const rte_devargs* da = info.device ? rte_dev_devargs(info.device) : nullptr; da && da->args) args = da->args;
  const bool server = args.find("role=server") != std::string::npos;
  unsigned log2 = devarg(args, "rsize", 10), bsize = devarg(args, "bsize", 2048);
  // The PMD's `cfg` and, right after it, `run`: {log2 ring size, client-to-
  // server rings, server-to-client rings, pad, buffer size (16 bits)}.
  const uint8_t c2s = uint8_t(server ? nb_rx : nb_tx), s2c = uint8_t(server ? nb_tx : nb_rx);
  const uint8_t want[6] = {uint8_t(log2), c2s, s2c, 0, uint8_t(bsize & 0xff), uint8_t(bsize >> 8)};
  const uint8_t* priv = private_data(port_id, nb_rx, nb_tx);
  constexpr size_t kScan = 256;  // the counts sit well inside the first 256 bytes of a 22.11 memif's private data
  size_t at[3], matches = 0;
  if (priv && std::strncmp(rte_version(), "DPDK 22.11", 10) == 0)
    for (size_t k = 0; k + 12 <= kScan && matches < 3; k += 2)
      if (std::memcmp(priv + k, want, sizeof want) == 0) at[matches++] = k;
  // `run` may equal `cfg` (a peer that backs every queue, still connected
  // from before a reconfigure): then both match, six bytes apart.
  if (matches == 2 && at[1] == at[0] + 6) matches = 1;
  const size_t found = matches ? at[0] : 0;
  const uint8_t* run = matches == 1 ? priv + found + 6 : &kQueueZeroOnly;
  out.rx = server ? run + 1 : run + 2;  // a server receives on client-to-server rings
  out.tx = server ? run + 2 : run + 1;
  out.how = matches == 1 ? "memif: the negotiated ring counts are read from the PMD"
                         : std::string("memif: the negotiated ring counts could not be located (") + rte_version() +
                               "); only queue 0 is used in each direction";
  return out;
}

}  // namespace steer
