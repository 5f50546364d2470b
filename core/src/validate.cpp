#include "steer/validate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "steer/steering.h"
#include "steer/text.h"

namespace steer {
namespace {

std::string join(const std::vector<unsigned>& v) {
  std::string s;
  // Appended piece by piece: `"," + std::to_string(..)` builds a temporary by
  // inserting at its front, which GCC 12 at -O3 misreads as an overlapping
  // memcpy (-Wrestrict, GCC PR 105329); this form needs no temporary at all.
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s;
}

std::string port_path(size_t i) {
  return "ports[" + std::to_string(i) + "]";
}

// A group is a number, a range a-b, or a parenthesised list of those.
bool parse_group(const std::string& s, size_t& pos, std::vector<unsigned>& out, std::string* why) {
  auto number = [&](unsigned& v) {
    if (pos >= s.size() || !std::isdigit(static_cast<unsigned char>(s[pos]))) {
      *why = "expected a number at position " + std::to_string(pos + 1);
      return false;
    }
    v = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      v = v * 10 + unsigned(s[pos++] - '0');
      if (v > 1023) {
        *why = "lcore id above 1023";
        return false;
      }
    }
    return true;
  };
  auto item = [&]() {
    unsigned a, b;
    if (!number(a)) return false;
    b = a;
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      if (!number(b)) return false;
      if (b < a) {
        *why = "range " + std::to_string(a) + "-" + std::to_string(b) + " runs backwards";
        return false;
      }
    }
    for (unsigned v = a; v <= b; ++v) out.push_back(v);
    return true;
  };
  if (pos < s.size() && s[pos] == '(') {
    ++pos;
    for (;;) {
      if (!item()) return false;
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < s.size() && s[pos] == ')') {
        ++pos;
        return true;
      }
      *why = "expected ',' or ')' at position " + std::to_string(pos + 1);
      return false;
    }
  }
  return item();
}

}  // namespace

std::optional<std::vector<unsigned>> parse_lcore_set(const std::string& spec, std::string* why) {
  std::string s;
  for (char c : spec)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  if (s.empty()) {
    *why = "empty lcore list";
    return std::nullopt;
  }
  std::vector<unsigned> lcores;
  size_t pos = 0;
  for (;;) {
    if (!parse_group(s, pos, lcores, why)) return std::nullopt;
    if (pos < s.size() && s[pos] == '@') {  // CPU set: parsed for syntax, not kept
      ++pos;
      std::vector<unsigned> cpus;
      if (!parse_group(s, pos, cpus, why)) return std::nullopt;
    }
    if (pos == s.size()) break;
    if (s[pos] != ',') {
      *why = "unexpected '" + std::string(1, s[pos]) + "' at position " + std::to_string(pos + 1);
      return std::nullopt;
    }
    ++pos;
  }
  std::sort(lcores.begin(), lcores.end());
  lcores.erase(std::unique(lcores.begin(), lcores.end()), lcores.end());
  return lcores;
}

std::vector<std::vector<int>> queue_pipelines(const Deployment& d) {
  std::vector<std::vector<int>> map(d.ports.size());
  for (size_t p = 0; p < d.ports.size(); ++p) map[p].assign(d.ports[p].rx_queues, -1);
  for (size_t i = 0; i < d.pipelines.size(); ++i)
    for (QueueId q : d.pipelines[i].queues)
      if (q.port < map.size() && q.queue < map[q.port].size() && map[q.port][q.queue] < 0)
        map[q.port][q.queue] = int(i);
  return map;
}

std::vector<std::vector<unsigned>> tx_senders(const Deployment& d) {
  auto qp = queue_pipelines(d);
  std::vector<std::set<unsigned>> senders(d.ports.size());
  for (const auto& lc : d.lcores)
    for (QueueId q : lc.poll) {
      if (q.port >= qp.size() || q.queue >= qp[q.port].size()) continue;
      int pi = qp[q.port][q.queue];
      if (pi < 0) continue;
      const auto& pl = d.pipelines[size_t(pi)];
      if (pl.action == Action::Echo)
        senders[q.port].insert(lc.lcore);
      else if (pl.action == Action::Forward && pl.to && *pl.to < d.ports.size())
        senders[*pl.to].insert(lc.lcore);
    }
  std::vector<std::vector<unsigned>> out;
  for (auto& s : senders) out.emplace_back(s.begin(), s.end());
  return out;
}

bool tx_handback(const Deployment& d, size_t port) {
  const auto& pc = d.ports[port];
  if (!pc.steering || pc.steering->mode == SteeringMode::Hardware) return false;
  bool dispatched = false;
  for (const auto& lc : d.lcores)
    for (QueueId q : lc.dispatch) dispatched |= q.port == port;
  return dispatched && tx_senders(d)[port].size() > pc.tx_queues;
}

std::vector<ConfigError> validate(const Deployment& d) {
  std::vector<ConfigError> errs;
  auto err = [&](std::string path, std::string msg) { errs.push_back({std::move(path), std::move(msg)}); };

  // eal
  std::string why;
  auto eal_lcores = parse_lcore_set(d.eal.lcores, &why);
  if (!eal_lcores)
    err("eal.lcores", "\"" + d.eal.lcores + "\" is not DPDK --lcores syntax (" + why +
                          "); write e.g. \"0-2\", \"0,2,3\" or \"(0-3)@(0,1)\"");
  auto in_eal = [&](unsigned l) { return eal_lcores && std::binary_search(eal_lcores->begin(), eal_lcores->end(), l); };
  if (eal_lcores && !in_eal(d.eal.main_lcore))
    err("eal.main_lcore", "lcore " + std::to_string(d.eal.main_lcore) + " is not in eal.lcores (" + join(*eal_lcores) +
                              "); pick one of those");
  if (d.eal.memory_mb < 64)
    err("eal.memory_mb", std::to_string(d.eal.memory_mb) + " MiB is too little for the EAL; use at least 64");
  if (d.eal.file_prefix.empty() || d.eal.file_prefix.find('/') != std::string::npos)
    err("eal.file_prefix", "\"" + d.eal.file_prefix + "\" must be a non-empty name without '/'");

  auto one_of = [](const std::string& v, const auto& names) {
    return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return v == n; });
  };
  if (!one_of(d.log.level, kLogLevels))
    err("log.level", "\"" + d.log.level + "\" is not a level; use trace, debug, info, warn, error, critical or off");
  if (!one_of(d.log.dpdk, kDpdkLogLevels))
    err("log.dpdk",
        "\"" + d.log.dpdk +
            "\" is not a DPDK log level; use emergency, alert, critical, error, warning, notice, info or debug");

  if (!d.metrics.address.empty()) {
    const std::string& a = d.metrics.address;
    const size_t colon = a.rfind(':');
    const std::string port = colon == std::string::npos ? "" : a.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (colon == 0 || !digits || std::stoul(port) == 0 || std::stoul(port) > 65535)
      err("metrics.address", "\"" + a + "\" is not HOST:PORT; write e.g. 127.0.0.1:9464");
  }

  // mempools
  if (d.mempools.empty()) err("mempools", "at least one mempool is needed; add {socket: 0, mbufs: auto}");
  std::set<int> pool_sockets;
  for (size_t i = 0; i < d.mempools.size(); ++i) {
    const auto& mp = d.mempools[i];
    std::string p = "mempools[" + std::to_string(i) + "]";
    if (mp.socket < 0) err(p + ".socket", std::to_string(mp.socket) + " is not a NUMA socket; use 0 or above");
    if (!pool_sockets.insert(mp.socket).second)
      err(p + ".socket", "socket " + std::to_string(mp.socket) + " already has a mempool; keep one per socket");
    if (mp.cache > 512)
      err(p + ".cache", std::to_string(mp.cache) + " is above DPDK's per-lcore cache limit; use 0-512");
    if (mp.data_room < 64)
      err(p + ".data_room",
          std::to_string(mp.data_room) + " bytes cannot hold a frame; use 64 or more (2048 fits a 1500-byte MTU)");
    if (mp.mbufs && *mp.mbufs == 0) err(p + ".mbufs", "0 mbufs; write a count or auto");
  }

  // ports
  if (d.ports.empty()) err("ports", "no ports; add at least one {name: p0, device: ...}");
  std::map<std::string, size_t> names, devices;
  for (size_t i = 0; i < d.ports.size(); ++i) {
    const auto& pc = d.ports[i];
    std::string p = port_path(i);
    bool good_name = !pc.name.empty() && std::all_of(pc.name.begin(), pc.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    if (!good_name)
      err(p + ".name", "\"" + pc.name + "\" must be non-empty letters, digits, '_', '-' or '.'");
    else if (!names.emplace(pc.name, i).second)
      err(p + ".name",
          "\"" + pc.name + "\" is already the name of ports[" + std::to_string(names[pc.name]) + "]; names are unique");
    if (pc.device.empty())
      err(p + ".device", "empty; give a vdev string (net_memif0,role=server,...) or a PCI address");
    else {
      std::string dev = pc.device.substr(0, pc.device.find(','));
      if (!devices.emplace(dev, i).second)
        err(p + ".device", "device \"" + dev + "\" is already used by ports[" + std::to_string(devices[dev]) +
                               "]; each port needs its own device");
      // A zero-copy memif's teardown drops its region addresses before it
      // closes anything, so the device guard (README "Robustness") cannot
      // hold it off an lcore mid-burst: a peer leaving could crash steerd.
      if (dev.rfind("net_memif", 0) == 0 && (pc.device.find(",zero-copy=yes") != std::string::npos ||
                                             pc.device.find(",zero-copy=1") != std::string::npos))
        err(p + ".device",
            "zero-copy memif is not supported (a peer that leaves could crash steerd); "
            "remove zero-copy=yes");
    }
    if (pc.rx_queues < 1 || pc.rx_queues > kMaxQueuesPerPort)
      err(p + ".rx_queues",
          std::to_string(pc.rx_queues) + " is out of range; use 1-" + std::to_string(kMaxQueuesPerPort));
    if (pc.tx_queues < 1 || pc.tx_queues > kMaxQueuesPerPort)
      err(p + ".tx_queues",
          std::to_string(pc.tx_queues) + " is out of range; use 1-" + std::to_string(kMaxQueuesPerPort));
    if (pc.rx_desc < 16)
      err(p + ".rx_desc", std::to_string(pc.rx_desc) + " descriptors is too few; use 16-32768 (1024 is usual)");
    if (pc.tx_desc < 16)
      err(p + ".tx_desc", std::to_string(pc.tx_desc) + " descriptors is too few; use 16-32768 (1024 is usual)");
    if (pc.rx_desc > 32768) err(p + ".rx_desc", std::to_string(pc.rx_desc) + " descriptors is too many; use 16-32768");
    if (pc.tx_desc > 32768) err(p + ".tx_desc", std::to_string(pc.tx_desc) + " descriptors is too many; use 16-32768");
    if (pc.socket && *pc.socket < 0)
      err(p + ".socket", std::to_string(*pc.socket) + " is not a NUMA socket; use 0 or above");
  }

  // lcores: each one a worker inside the EAL set, not the main lcore, once.
  if (d.lcores.empty()) err("lcores", "no worker lcores; add {lcore: 1, poll: [p0:0]}");
  std::map<unsigned, size_t> seen_lcore;
  std::map<QueueId, unsigned> owner;
  std::map<QueueId, unsigned> dispatched;
  for (size_t i = 0; i < d.lcores.size(); ++i) {
    const auto& lc = d.lcores[i];
    std::string p = "lcores[" + std::to_string(i) + "]";
    if (eal_lcores && !in_eal(lc.lcore))
      err(p + ".lcore", "lcore " + std::to_string(lc.lcore) + " is not in eal.lcores (\"" + d.eal.lcores +
                            "\"); add it there or pick one of " + join(*eal_lcores));
    if (lc.lcore == d.eal.main_lcore)
      err(p + ".lcore", "lcore " + std::to_string(lc.lcore) +
                            " is eal.main_lcore, which runs the control plane; give the worker another lcore");
    if (!seen_lcore.emplace(lc.lcore, i).second)
      err(p + ".lcore", "lcore " + std::to_string(lc.lcore) + " is already declared at lcores[" +
                            std::to_string(seen_lcore[lc.lcore]) + "]; merge the two entries");
    if (lc.poll.empty() && lc.dispatch.empty())
      err(p + ".poll", "lcore " + std::to_string(lc.lcore) + " polls nothing; give it a queue or remove it");
    if (!lc.poll.empty() && !lc.dispatch.empty())
      err(p + ".dispatch",
          "lcore " + std::to_string(lc.lcore) +
              " both polls and dispatches; a dispatcher feeds workers, so give these jobs to two lcores");
    for (size_t j = 0; j < lc.dispatch.size(); ++j) {
      QueueId q = lc.dispatch[j];
      std::string qp = p + ".dispatch[" + std::to_string(j) + "]";
      if (q.port >= d.ports.size()) continue;
      const auto& port = d.ports[q.port];
      if (!port.steering || port.steering->mode == SteeringMode::Hardware) {
        err(qp, "port " + port.name +
                    " has no software steering to dispatch; add steering: {mode: auto} to it or remove this entry");
        continue;
      }
      auto [it, fresh] = dispatched.emplace(q, lc.lcore);
      if (!fresh)
        err(qp, "device queue " + format_queue(d, q) + " is already dispatched by lcore " + std::to_string(it->second));
    }
    for (size_t j = 0; j < lc.poll.size(); ++j) {
      QueueId q = lc.poll[j];
      std::string qp = p + ".poll[" + std::to_string(j) + "]";
      if (q.port >= d.ports.size()) continue;  // the loader reports unknown ports
      const auto& port = d.ports[q.port];
      if (q.queue >= port.rx_queues) {
        err(qp, "\"" + format_queue(d, q) + "\": port " + port.name + " has " + std::to_string(port.rx_queues) +
                    " rx_queues (0-" + std::to_string(port.rx_queues - 1) + "); poll one of those or raise rx_queues");
        continue;
      }
      auto [it, fresh] = owner.emplace(q, lc.lcore);
      if (!fresh)
        err(qp, "queue " + format_queue(d, q) + " is already polled by lcore " + std::to_string(it->second) +
                    "; an RX queue has exactly one owner, remove it from one of the two");
    }
  }
  for (size_t i = 0; i < d.ports.size(); ++i)
    for (uint16_t q = 0; q < d.ports[i].rx_queues && q < kMaxQueuesPerPort; ++q)
      if (!owner.count(QueueId{uint16_t(i), q}))
        err(port_path(i) + ".rx_queues",
            "queue " + d.ports[i].name + ":" + std::to_string(q) +
                " is polled by no lcore; add it to an lcore's poll list or lower rx_queues to " + std::to_string(q));

  // Dispatched device queues are 0..N-1 of each port; steering is whole.
  for (size_t i = 0; i < d.ports.size(); ++i) {
    uint16_t n = 0;
    for (auto& [q, l] : dispatched) n += q.port == i;
    for (auto& [q, l] : dispatched)
      if (q.port == i && q.queue >= n)
        err(port_path(i) + ".steering", "dispatched device queues of " + d.ports[i].name +
                                            " must be numbered from 0 without gaps; " + format_queue(d, q) +
                                            " is dispatched but only " + std::to_string(n) + " queue(s) are");
    if (d.ports[i].steering) {
      auto se = validate_steering(*d.ports[i].steering, d.ports[i].rx_queues, port_path(i) + ".steering");
      errs.insert(errs.end(), se.begin(), se.end());
      if (d.ports[i].steering->mode == SteeringMode::Software && !n)
        err(port_path(i) + ".steering.mode", "software steering needs a dispatcher lcore: add {lcore: N, dispatch: [" +
                                                 d.ports[i].name + ":0]} to lcores");
    }
    if (d.ports[i].audit) {
      const auto& a = *d.ports[i].audit;
      if (a.flow_offset + 4 > 9000 || a.seq_offset + 4 > 9000 ||
          (a.flow_offset < a.seq_offset + 4 && a.seq_offset < a.flow_offset + 4))
        err(port_path(i) + ".audit", "flow_offset and seq_offset name two 4-byte fields that must not overlap");
    }
  }

  // pipelines: every RX queue handled by exactly one.
  std::map<QueueId, size_t> handled;
  for (size_t i = 0; i < d.pipelines.size(); ++i) {
    const auto& pl = d.pipelines[i];
    std::string p = "pipelines[" + std::to_string(i) + "]";
    for (QueueId q : pl.queues) {
      if (q.port >= d.ports.size()) continue;
      if (q.queue >= d.ports[q.port].rx_queues) {
        err(p + ".queues", "\"" + format_queue(d, q) + "\": port " + d.ports[q.port].name + " has " +
                               std::to_string(d.ports[q.port].rx_queues) + " rx_queues");
        continue;
      }
      auto [it, fresh] = handled.emplace(q, i);
      if (!fresh)
        err(p + ".queues", "queue " + format_queue(d, q) + " is already handled by pipelines[" +
                               std::to_string(it->second) + "]; a queue has one pipeline");
    }
    if (pl.action == Action::Forward) {
      if (!pl.to)
        err(p + ".to", "forward needs a destination port; add to: <port name>");
      else if (*pl.to >= d.ports.size())
        err(p + ".to", "no such port");
    } else {
      if (pl.to)
        err(p + ".to",
            std::string("only a forward pipeline has a destination; remove to: or use action: forward (this one is ") +
                to_string(pl.action) + ")");
      if (pl.dst_mac)
        err(p + ".dst_mac",
            std::string("only a forward pipeline rewrites dst_mac; remove it or use action: forward (this one is ") +
                to_string(pl.action) + ")");
    }
  }
  for (size_t i = 0; i < d.ports.size(); ++i)
    for (uint16_t q = 0; q < d.ports[i].rx_queues && q < kMaxQueuesPerPort; ++q)
      if (!handled.count(QueueId{uint16_t(i), q}))
        err("pipelines", "queue " + d.ports[i].name + ":" + std::to_string(q) + " has no pipeline; add {queues: \"" +
                             d.ports[i].name + ":*\", action: echo} or similar");

  // TX: one queue per sending lcore per port.
  // A software-steered port may have fewer TX queues than senders (a
  // single-queue VM NIC): workers then hand packets to its dispatcher.
  auto senders = tx_senders(d);
  for (size_t i = 0; i < d.ports.size(); ++i)
    if (senders[i].size() > d.ports[i].tx_queues && !tx_handback(d, i))
      err(port_path(i) + ".tx_queues",
          std::to_string(d.ports[i].tx_queues) + " TX queue(s) but " + std::to_string(senders[i].size()) + " lcores (" +
              join(senders[i]) + ") send on port " + d.ports[i].name +
              " and each needs its own; set tx_queues to at least " + std::to_string(senders[i].size()));

  // control plane listeners
  const auto& c = d.control;
  if (!c.tcp_address.empty()) {
    const size_t colon = c.tcp_address.rfind(':');
    std::string host = colon == std::string::npos ? "" : c.tcp_address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const bool loopback = host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
    if (colon == std::string::npos || colon + 1 == c.tcp_address.size())
      err("control.tcp.address", "\"" + c.tcp_address + "\" is not host:port; write e.g. 127.0.0.1:50051");
    else if (c.tls_cert.empty() != c.tls_key.empty())
      err("control.tcp", "TLS needs both cert and key");
    else if (c.tls_cert.empty() && !c.insecure)
      err("control.tcp", "plain TCP needs insecure: true (and a loopback address); give cert and key for TLS");
    else if (c.tls_cert.empty() && !loopback)
      err("control.tcp.address", "plain TCP is allowed on loopback only, not on \"" + host +
                                     "\"; give cert and key for TLS, or listen on 127.0.0.1");
    if (!c.tls_client_ca.empty() && c.tls_cert.empty())
      err("control.tcp.client_ca", "mTLS needs the server's own cert and key too");
  } else if (!c.tls_cert.empty() || !c.tls_key.empty() || !c.tls_client_ca.empty() || c.insecure) {
    err("control.tcp", "TLS or insecure settings without an address; add address: host:port");
  }

  // dataplane
  if (d.dataplane.burst < 1 || d.dataplane.burst > kMaxBurst)
    err("dataplane.burst",
        std::to_string(d.dataplane.burst) + " is out of range; use 1-" + std::to_string(kMaxBurst) + " (32 is usual)");
  if (d.dataplane.tx_retries > 1000)
    err("dataplane.tx_retries", std::to_string(d.dataplane.tx_retries) + " retries would stall the lcore; use 0-1000");
  return errs;
}

std::vector<ConfigError> check_device(const Deployment& d, size_t i, const DeviceCaps& caps) {
  std::vector<ConfigError> errs;
  const auto& pc = d.ports[i];
  std::string p = port_path(i);
  auto too_many = [&](const char* field, uint16_t want, uint16_t max, const char* dir) {
    std::string sentence = "port " + pc.name + " (" + caps.driver + ", device \"" + pc.device +
                           "\") supports at most " + std::to_string(max) + " " + dir + " queue" +
                           (max == 1 ? "" : "s") + " but " + field + " asks for " + std::to_string(want) + "; set " +
                           p + "." + field + " to " + std::to_string(max) + " or less and give its lcores fewer queues";
    errs.push_back({p + "." + field, sentence});
  };
  if (pc.rx_queues > caps.max_rx_queues) too_many("rx_queues", pc.rx_queues, caps.max_rx_queues, "RX");
  if (pc.tx_queues > caps.max_tx_queues) too_many("tx_queues", pc.tx_queues, caps.max_tx_queues, "TX");
  if (caps.rx_desc_max && pc.rx_desc > caps.rx_desc_max)
    errs.push_back({p + ".rx_desc", "port " + pc.name + " (" + caps.driver + ") takes at most " +
                                        std::to_string(caps.rx_desc_max) + " RX descriptors per queue; lower rx_desc"});
  if (caps.tx_desc_max && pc.tx_desc > caps.tx_desc_max)
    errs.push_back({p + ".tx_desc", "port " + pc.name + " (" + caps.driver + ") takes at most " +
                                        std::to_string(caps.tx_desc_max) + " TX descriptors per queue; lower tx_desc"});
  return errs;
}

std::vector<ConfigError> check_numa(const Deployment& d, const SocketMap& sockets, std::vector<std::string>* warnings) {
  std::vector<ConfigError> errs;
  for (size_t i = 0; i < d.lcores.size(); ++i) {
    const auto& lc = d.lcores[i];
    int ls = sockets.socket_of_lcore(lc.lcore);
    for (size_t j = 0; j < lc.poll.size(); ++j) {
      QueueId q = lc.poll[j];
      if (q.port >= sockets.socket_of_port.size()) continue;
      int ps = sockets.socket_of_port[q.port];
      if (ps < 0 || ls < 0 || ps == ls) continue;
      std::string msg = "lcore " + std::to_string(lc.lcore) + " on socket " + std::to_string(ls) + " polls " +
                        format_queue(d, q) + " whose port lives on socket " + std::to_string(ps) +
                        ": every packet crosses the interconnect; move the queue to an lcore on socket " +
                        std::to_string(ps);
      std::string path = "lcores[" + std::to_string(i) + "].poll[" + std::to_string(j) + "]";
      if (d.numa == NumaPolicy::Strict)
        errs.push_back({path, msg + " (numa: strict)"});
      else if (warnings)
        warnings->push_back(path + ": " + msg);
    }
  }
  return errs;
}

}  // namespace steer
