// Which backend steers a port: hardware where the device can do all of what
// the config asks, software otherwise (and always with mode: software).
#include <rte_errno.h>

#include <cstdio>

#include "backend.h"

namespace steer {

std::string errno_text(int rc) {
  return rte_strerror(rc < 0 ? -rc : rc);
}

std::string hex_u64(uint64_t v) {
  char b[20];
  std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string hardware_refusal(const Deployment& d, size_t i, int caps_rc, const HwCaps& hc) {
  const PortConfig& pc = d.ports[i];
  const SteeringConfig& sc = *pc.steering;
  if (caps_rc != 0) return "reading its RSS capabilities failed (" + errno_text(caps_rc) + ")";
  if (hc.reta_size == 0) return "the device has no RSS redirection table (reta_size 0)";
  if (hc.max_rx_queues < pc.rx_queues)
    return "the device has " + std::to_string(hc.max_rx_queues) + " RX queues and the deployment wants " +
           std::to_string(pc.rx_queues);
  if (hc.key_size && hc.key_size != sc.rss.key.size())
    return "the device takes a " + std::to_string(hc.key_size) + "-byte RSS key, not " +
           std::to_string(sc.rss.key.size());
  if (uint64_t missing = rss_hf_required(sc.rss.types) & ~hc.rss_offloads; missing)
    return "the device cannot hash every configured type (RTE_ETH_RSS_* bits 0x" + hex_u64(missing) + " missing)";
  if (tx_handback(d, i))
    return "the port has " + std::to_string(pc.tx_queues) +
           " TX queue(s) for more sending lcores, and the TX hand-back runs on a software dispatcher";
  if (hc.reta_size % sc.rss.reta.size() != 0)
    return "the device's RETA has " + std::to_string(hc.reta_size) + " entries, which the configured " +
           std::to_string(sc.rss.reta.size()) + " do not divide";
  return "";
}

}  // namespace steer
