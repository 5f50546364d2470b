// Ports: probing, configuring and starting, and closing again.
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "impl.h"

namespace steer {

ConfigError Dataplane::Impl::needs_dispatcher(size_t i, const std::string& why) const {
  const std::string& name = d.ports[i].name;
  return {"ports[" + std::to_string(i) + "].steering",
          "port " + name + " steers in software (" + why +
              ") and needs a dispatcher lcore: add {lcore: N, dispatch: [" + name + ":0]} to lcores"};
}

// Every port probed (or found), its capabilities read, its steering backend
// chosen, and its device limits checked.
std::vector<ConfigError> Dataplane::Impl::probe_ports() {
  std::vector<ConfigError> errs;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    std::string path = "ports[" + std::to_string(i) + "].device";
    std::string devname = pc.device.substr(0, pc.device.find(','));
    dispatched.push_back(0);
    steering.emplace_back();
    if (pc.steering) steering.back().cfg = *pc.steering;
    if (auto g = options.generations.find(pc.name); g != options.generations.end())
      steering.back().generation = g->second;
    uint16_t pid;
    bool ours = false;
    if (rte_eth_dev_get_port_by_name(devname.c_str(), &pid) != 0) {
      int rc = rte_dev_probe(pc.device.c_str());
      if (rc < 0 || rte_eth_dev_get_port_by_name(devname.c_str(), &pid) != 0) {
        errs.push_back(
            {path, "port " + pc.name + ": device \"" + pc.device + "\" could not be probed (" +
                       (rc < 0 ? errno_text(rc) : std::string("no ethdev appeared")) +
                       "); check the driver name and its arguments, or that the PCI device is bound to vfio-pci"});
        probed_by_us.push_back(false);
        ports.push_back({});
        continue;
      }
      ours = true;
    }
    probed_by_us.push_back(ours);
    PortInfo pi;
    pi.name = pc.name;
    pi.port_id = pid;
    pi.socket = rte_eth_dev_socket_id(pid);
    rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(pid, &info);
    if (rc != 0) {
      errs.push_back({path, "port " + pc.name + ": cannot read device info (" + errno_text(rc) + ")"});
      ports.push_back(pi);
      continue;
    }
    pi.caps.driver = info.driver_name ? info.driver_name : "?";
    pi.caps.max_rx_queues = info.max_rx_queues;
    pi.caps.max_tx_queues = info.max_tx_queues;
    pi.caps.rx_desc_max = info.rx_desc_lim.nb_max == UINT16_MAX ? 0 : info.rx_desc_lim.nb_max;
    pi.caps.tx_desc_max = info.tx_desc_lim.nb_max == UINT16_MAX ? 0 : info.tx_desc_lim.nb_max;
    rte_ether_addr mac;
    if (rte_eth_macaddr_get(pid, &mac) == 0) std::memcpy(pi.mac.data(), mac.addr_bytes, 6);
    // Steering backend: hardware where the device can do all of it, software otherwise.
    uint16_t dispatched_count = 0;
    for (const auto& lc : d.lcores)
      for (QueueId q : lc.dispatch) dispatched_count += q.port == i;
    uint16_t device_rx = pc.rx_queues;
    dispatched.back() = dispatched_count;
    if (pc.steering) {
      pi.steered = true;
      std::unique_ptr<SteeringDevice> dev;
      if (options.device_factory) dev = options.device_factory(pc.name, pid);
      if (!dev) dev = ethdev_steering(pid);
      HwCaps hc;
      const int crc = dev->caps(&hc);
      const std::string no_hw = hardware_refusal(d, i, crc, hc);
      if (no_hw.empty()) steering.back().hw = std::make_unique<HardwareBackend>(std::move(dev), hc);
      const std::string path_mode = "ports[" + std::to_string(i) + "].steering.mode";
      if (pc.steering->mode == SteeringMode::Hardware && !no_hw.empty()) {
        errs.push_back({path_mode, "port " + pc.name + " (" + pi.caps.driver + ") cannot steer in hardware: " + no_hw +
                                       "; use mode: auto or software"});
      } else if (pc.steering->mode == SteeringMode::Software || !no_hw.empty()) {
        pi.backend = SteeringMode::Software;
        pi.backend_reason = pc.steering->mode == SteeringMode::Software ? "mode: software" : no_hw;
        steering.back().hw.reset();
        if (!dispatched_count) errs.push_back(needs_dispatcher(i, pi.backend_reason));
        device_rx = dispatched_count;
      } else {
        pi.backend = SteeringMode::Hardware;
        pi.backend_reason = "the device takes the RSS key, hash types, RETA and rules";  // confirmed at start
      }
    }
    device_rx_queues.push_back(device_rx ? device_rx : pc.rx_queues);
    ports.push_back(pi);
    Deployment as_opened = d;  // device limits apply to what is opened on the device
    as_opened.ports[i].rx_queues = device_rx_queues.back();
    auto caps_errs = check_device(as_opened, i, pi.caps);
    errs.insert(errs.end(), caps_errs.begin(), caps_errs.end());
  }
  return errs;
}

// Configures, sets up the queues of and starts port i as probed (hardware
// steering: RSS over the device queues; software: the dispatchers' queues).
bool Dataplane::Impl::configure_port(size_t i, std::vector<ConfigError>& errs) {
  const auto& pc = d.ports[i];
  const uint16_t pid = ports[i].port_id;
  const std::string path = "ports[" + std::to_string(i) + "]";
  auto fail = [&](const std::string& what, int rc) {
    errs.push_back({path, "port " + pc.name + ": " + what + " failed (" + errno_text(rc) + ")"});
    return false;
  };
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(pid, &info); rc != 0) return fail("reading device info", rc);
  rte_eth_conf conf{};
  const uint16_t nb_rx = device_rx_queues[i];
  // Several RX queues on a NIC that hashes: spread by its RSS over IP/L4.
  // Live RSS/RETA control is the steering layer's job; this is the default.
  const uint64_t want_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
  std::vector<uint8_t> key;
  if (steering[i].hw) {  // the configured key and hash types from the start; start() sets them again
    const SteeringConfig& sc = *pc.steering;
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    if (info.hash_key_size == sc.rss.key.size()) {
      key = sc.rss.key;
      conf.rx_adv_conf.rss_conf.rss_key = key.data();
      conf.rx_adv_conf.rss_conf.rss_key_len = uint8_t(key.size());
    }
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf(sc.rss.types) & info.flow_type_rss_offloads;
  } else if (nb_rx > 1 && (info.flow_type_rss_offloads & want_hf)) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & want_hf;
  }
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  if (int rc = rte_eth_dev_configure(pid, nb_rx, pc.tx_queues, &conf); rc != 0)
    return fail("rte_eth_dev_configure(" + std::to_string(nb_rx) + " rx, " + std::to_string(pc.tx_queues) + " tx)", rc);
  uint16_t nrx = pc.rx_desc, ntx = pc.tx_desc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx); rc != 0)
    return fail("adjusting descriptor counts", rc);
  const unsigned socket = unsigned(plan.port_socket[i]);
  rte_mempool* pool = pools[size_t(plan.port_pool[i])];
  for (uint16_t q = 0; q < nb_rx; ++q)
    if (int rc = rte_eth_rx_queue_setup(pid, q, nrx, socket, nullptr, pool); rc != 0)
      return fail("setting up RX queue " + std::to_string(q), rc);
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  for (uint16_t q = 0; q < pc.tx_queues; ++q)
    if (int rc = rte_eth_tx_queue_setup(pid, q, ntx, socket, &txconf); rc != 0)
      return fail("setting up TX queue " + std::to_string(q), rc);
  if (pc.promiscuous) {
    int rc = rte_eth_promiscuous_enable(pid);
    if (rc != 0 && rc != -ENOTSUP) return fail("enabling promiscuous mode", rc);
  }
  if (int rc = rte_eth_dev_start(pid); rc != 0) return fail("rte_eth_dev_start", rc);
  port_started[i] = true;
  if (peer.size() != d.ports.size()) peer.resize(d.ports.size());
  peer[i] = find_peer_queues(pid, nb_rx, pc.tx_queues);
  if (tx_limit.size() != d.ports.size()) tx_limit.resize(d.ports.size());
  if (!peer[i].tx && pc.tx_queues >= 2 && pc.tx_queues < 255) {  // watched by check_tx_queues
    tx_limit[i] = std::make_unique<uint8_t>(255);
    peer[i].tx = tx_limit[i].get();
  }
  return true;
}

std::vector<ConfigError> Dataplane::Impl::setup_ports() {
  std::vector<ConfigError> errs;
  port_started.assign(d.ports.size(), false);
  for (size_t i = 0; i < d.ports.size(); ++i) {
    if (!configure_port(i, errs)) return errs;
    HardwareBackend* hw = steering[i].hw.get();
    if (!hw) continue;
    const std::string why = hw->start(d.ports[i].steering.value(), d.ports[i].rx_queues);
    if (why.empty()) {
      ports[i].backend_reason = "the device took the RSS key, hash types, RETA and " +
                                std::to_string(d.ports[i].steering->flows.size()) + " rules";
      continue;
    }
    const auto& pc = d.ports[i];
    const std::string idx = "ports[" + std::to_string(i) + "]";
    if (pc.steering->mode == SteeringMode::Hardware) {
      errs.push_back({idx + ".steering.mode", "port " + pc.name + " (" + ports[i].caps.driver +
                                                  ") cannot steer in hardware: " + why +
                                                  "; use mode: auto or software"});
      return errs;
    }
    // auto: the device refused at start what its capabilities promised; steer in software.
    (void)rte_eth_dev_stop(ports[i].port_id);
    port_started[i] = false;
    steering[i].hw.reset();
    ports[i].backend = SteeringMode::Software;
    ports[i].backend_reason = why;
    if (!dispatched[i]) {
      errs.push_back(needs_dispatcher(i, why));
      return errs;
    }
    device_rx_queues[i] = dispatched[i];
    if (!configure_port(i, errs)) return errs;
  }
  return errs;
}

void Dataplane::Impl::close_ports() {
  for (auto& ps : steering)
    if (ps.hw) ps.hw->remove_rules();
  for (size_t i = 0; i < ports.size(); ++i) {
    if (i < port_started.size() && port_started[i]) {
      (void)rte_eth_dev_stop(ports[i].port_id);
      port_started[i] = false;
    }
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    if (!rte_eth_dev_is_valid_port(ports[i].port_id) || ports[i].name.empty()) continue;
    rte_eth_dev_info info;
    rte_device* dev = rte_eth_dev_info_get(ports[i].port_id, &info) == 0 ? info.device : nullptr;
    (void)rte_eth_dev_close(ports[i].port_id);
    if (probed_by_us[i] && dev) (void)rte_dev_remove(dev);
  }
}

std::vector<Dataplane::Link> Dataplane::links() const {
  const Impl& m = *impl_;
  std::vector<Link> out;
  for (size_t i = 0; i < m.ports.size(); ++i) {
    rte_eth_link l{};
    Link x;
    if (rte_eth_link_get_nowait(m.ports[i].port_id, &l) == 0) {
      x.up = l.link_status == RTE_ETH_LINK_UP;
      x.speed_mbps = l.link_speed;
    }
    const uint16_t rxq = i < m.device_rx_queues.size() ? m.device_rx_queues[i] : 0;
    const uint16_t txq = i < m.d.ports.size() ? m.d.ports[i].tx_queues : 0;
    const PeerQueues* pq = i < m.peer.size() ? &m.peer[i] : nullptr;
    x.rx_backed = uint16_t(std::min<unsigned>(rxq, pq ? backed(pq->rx) : kAllBacked));
    x.tx_backed = uint16_t(std::min<unsigned>(txq, pq ? backed(pq->tx) : kAllBacked));
    x.rx_queues = rxq;
    x.tx_queues = txq;
    if (pq) x.peer_note = pq->how;
    out.push_back(x);
  }
  return out;
}

}  // namespace steer
