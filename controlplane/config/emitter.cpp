// The deployment as YAML, in the shape the loader reads: loading the result
// gives the same deployment back (what get running and Apply rely on).
#include <yaml-cpp/yaml.h>

#include "config.h"
#include "steer/text.h"

namespace steer {
namespace {

void emit_steering(YAML::Emitter& e, const SteeringConfig& s) {
  e << YAML::BeginMap << YAML::Key << "mode" << YAML::Value << to_string(s.mode);
  e << YAML::Key << "rss" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "types" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& name : rss_type_names(s.rss.types)) e << name;
  e << YAML::EndSeq;
  e << YAML::Key << "key" << YAML::Value << YAML::DoubleQuoted << to_hex(s.rss.key);
  e << YAML::Key << "reta" << YAML::Value << YAML::BeginMap << YAML::Key << "entries" << YAML::Value << YAML::Flow
    << YAML::BeginSeq;
  for (uint16_t q : s.rss.reta) e << q;
  e << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  if (!s.flows.empty()) {
    e << YAML::Key << "flows" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : s.flows) {
      e << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << r.name << YAML::Key << "priority"
        << YAML::Value << r.priority;
      // Fields as text (steer/text.h); lists (action rss) as YAML lists, IPv6
      // prefixes quoted (their colons would read as mappings).
      const auto fields = rule_fields(r);
      for (bool action : {false, true}) {
        e << YAML::Key << (action ? "action" : "match") << YAML::Value << YAML::BeginMap;
        for (const auto& f : fields) {
          if (f.action != action) continue;
          e << YAML::Key << f.key << YAML::Value;
          if (f.key == "rss") {
            e << YAML::Flow << YAML::BeginSeq;
            for (uint16_t q : r.action.rss) e << q;
            e << YAML::EndSeq;
          } else if (f.text.find(':') != std::string::npos) {
            e << YAML::DoubleQuoted << f.text;
          } else {
            e << f.text;
          }
        }
        e << YAML::EndMap;
      }
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::Key << "drain" << YAML::Value << s.drain << YAML::Key << "drain_timeout_ms" << YAML::Value
    << s.drain_timeout_ms << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Deployment& d) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "eal" << YAML::Value << YAML::Flow << YAML::BeginMap;
  e << YAML::Key << "lcores" << YAML::Value << YAML::DoubleQuoted << d.eal.lcores;
  e << YAML::Key << "main_lcore" << YAML::Value << d.eal.main_lcore << YAML::Key << "memory_mb" << YAML::Value
    << d.eal.memory_mb << YAML::Key << "hugepages" << YAML::Value << d.eal.hugepages << YAML::Key << "file_prefix"
    << YAML::Value << d.eal.file_prefix << YAML::Key << "extra_args" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : d.eal.extra_args) e << a;
  e << YAML::EndSeq << YAML::EndMap;
  e << YAML::Key << "control" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "socket" << YAML::Value
    << YAML::DoubleQuoted << d.control.socket;
  if (!d.control.group.empty()) e << YAML::Key << "group" << YAML::Value << d.control.group;
  if (!d.control.tcp_address.empty()) {
    e << YAML::Key << "tcp" << YAML::Value << YAML::BeginMap << YAML::Key << "address" << YAML::Value
      << YAML::DoubleQuoted << d.control.tcp_address;
    if (!d.control.tls_cert.empty())
      e << YAML::Key << "cert" << YAML::Value << YAML::DoubleQuoted << d.control.tls_cert;
    if (!d.control.tls_key.empty()) e << YAML::Key << "key" << YAML::Value << YAML::DoubleQuoted << d.control.tls_key;
    if (!d.control.tls_client_ca.empty())
      e << YAML::Key << "client_ca" << YAML::Value << YAML::DoubleQuoted << d.control.tls_client_ca;
    e << YAML::Key << "insecure" << YAML::Value << d.control.insecure << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "mempools" << YAML::Value << YAML::BeginSeq;
  for (const auto& mp : d.mempools) {
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "socket" << YAML::Value << mp.socket << YAML::Key << "mbufs"
      << YAML::Value;
    if (mp.mbufs)
      e << *mp.mbufs;
    else
      e << "auto";
    e << YAML::Key << "cache" << YAML::Value << mp.cache << YAML::Key << "data_room" << YAML::Value << mp.data_room
      << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : d.ports) {
    e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "device" << YAML::Value
      << YAML::DoubleQuoted << p.device << YAML::Key << "rx_queues" << YAML::Value << p.rx_queues << YAML::Key
      << "tx_queues" << YAML::Value << p.tx_queues << YAML::Key << "rx_desc" << YAML::Value << p.rx_desc << YAML::Key
      << "tx_desc" << YAML::Value << p.tx_desc << YAML::Key << "promiscuous" << YAML::Value << p.promiscuous;
    if (p.socket) e << YAML::Key << "socket" << YAML::Value << *p.socket;
    if (p.steering) {
      e << YAML::Key << "steering" << YAML::Value;
      emit_steering(e, *p.steering);
    }
    if (p.audit)
      e << YAML::Key << "audit" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "flow_offset"
        << YAML::Value << p.audit->flow_offset << YAML::Key << "seq_offset" << YAML::Value << p.audit->seq_offset
        << YAML::EndMap;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::Key << "lcores" << YAML::Value << YAML::BeginSeq;
  for (const auto& lc : d.lcores) {
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "lcore" << YAML::Value << lc.lcore;
    if (!lc.poll.empty()) {
      e << YAML::Key << "poll" << YAML::Value << YAML::BeginSeq;
      for (QueueId q : lc.poll) e << format_queue(d, q);
      e << YAML::EndSeq;
    }
    if (!lc.dispatch.empty()) {
      e << YAML::Key << "dispatch" << YAML::Value << YAML::BeginSeq;
      for (QueueId q : lc.dispatch) e << format_queue(d, q);
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::Key << "pipelines" << YAML::Value << YAML::BeginSeq;
  for (const auto& pl : d.pipelines) {
    e << YAML::Flow << YAML::BeginMap << YAML::Key << "queues" << YAML::Value << YAML::BeginSeq;
    for (QueueId q : pl.queues) e << format_queue(d, q);
    e << YAML::EndSeq << YAML::Key << "action" << YAML::Value << to_string(pl.action);
    if (pl.to) e << YAML::Key << "to" << YAML::Value << d.ports[*pl.to].name;
    if (pl.dst_mac) e << YAML::Key << "dst_mac" << YAML::Value << YAML::DoubleQuoted << format_mac(*pl.dst_mac);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::Key << "dataplane" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "burst" << YAML::Value
    << d.dataplane.burst << YAML::Key << "poll" << YAML::Value << to_string(d.dataplane.poll) << YAML::Key
    << "tx_retries" << YAML::Value << d.dataplane.tx_retries << YAML::EndMap;
  e << YAML::Key << "numa" << YAML::Value << to_string(d.numa);
  e << YAML::Key << "log" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "level" << YAML::Value
    << d.log.level << YAML::Key << "dpdk" << YAML::Value << d.log.dpdk << YAML::EndMap;
  if (!d.metrics.address.empty())
    e << YAML::Key << "metrics" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "address" << YAML::Value
      << YAML::DoubleQuoted << d.metrics.address << YAML::EndMap;
  if (!d.privileges.user.empty())
    e << YAML::Key << "privileges" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "user" << YAML::Value
      << YAML::DoubleQuoted << d.privileges.user << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace steer
