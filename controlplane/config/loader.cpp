// The deployment loader: the top-level sections (eal, control, mempools,
// ports, lcores, pipelines, dataplane, numa) read into the model, then
// validate() over the whole. Steering sections: steering_loader.cpp.
#include <fstream>
#include <map>
#include <sstream>

#include "config.h"
#include "reader.h"
#include "steer/text.h"
#include "steering_loader.h"

namespace steer {
namespace {

class Loader : public YamlReader {
 public:
  explicit Loader(ConfigResult& r) : YamlReader(r) {}

  void load(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      error_at(1, 1, "", "the file is empty; it needs at least ports:, lcores: and pipelines:");
      return;
    }
    if (!is_map(root, "")) return;
    mark("", root);
    check_keys(root, "",
               {"eal", "mempools", "ports", "lcores", "pipelines", "dataplane", "numa", "control", "privileges", "log",
                "metrics"});
    if (auto n = root["metrics"]; n && is_map(n, "metrics")) {
      check_keys(n, "metrics", {"address"});
      text(n, "address", "metrics", r_.deployment.metrics.address);
    }
    if (auto n = root["log"]; n && is_map(n, "log")) {
      check_keys(n, "log", {"level", "dpdk"});
      text(n, "level", "log", r_.deployment.log.level);
      text(n, "dpdk", "log", r_.deployment.log.dpdk);
    }
    if (auto n = root["privileges"]; n && is_map(n, "privileges")) {
      check_keys(n, "privileges", {"user"});
      text(n, "user", "privileges", r_.deployment.privileges.user);
    }
    if (auto n = root["control"]; n && is_map(n, "control")) {
      check_keys(n, "control", {"socket", "group", "tcp"});
      auto& c = r_.deployment.control;
      text(n, "socket", "control", c.socket);
      text(n, "group", "control", c.group);
      if (auto t = n["tcp"]; t && is_map(t, "control.tcp")) {
        check_keys(t, "control.tcp", {"address", "cert", "key", "client_ca", "insecure"});
        text(t, "address", "control.tcp", c.tcp_address);
        text(t, "cert", "control.tcp", c.tls_cert);
        text(t, "key", "control.tcp", c.tls_key);
        text(t, "client_ca", "control.tcp", c.tls_client_ca);
        boolean(t, "insecure", "control.tcp", c.insecure);
      }
    }
    Deployment& d = r_.deployment;
    if (auto n = root["eal"]) load_eal(n);
    if (auto n = root["mempools"]) load_mempools(n);
    if (auto n = root["ports"])
      load_ports(n);  // before lcores/pipelines: they name ports
    else
      error(root, "ports", "missing; list the ports, e.g. ports: [{name: p0, device: \"net_memif0,role=server\"}]");
    if (auto n = root["lcores"])
      load_lcores(n);
    else
      error(root, "lcores", "missing; list the worker lcores, e.g. lcores: [{lcore: 1, poll: [p0:0]}]");
    if (auto n = root["pipelines"])
      load_pipelines(n);
    else
      error(root, "pipelines", "missing; say what each queue does, e.g. pipelines: [{queues: \"p0:*\", action: echo}]");
    if (auto n = root["dataplane"]) {
      mark("dataplane", n);
      if (is_map(n, "dataplane")) {
        check_keys(n, "dataplane", {"burst", "poll", "tx_retries"});
        number(n, "burst", "dataplane", d.dataplane.burst, 1, kMaxBurst);
        number(n, "tx_retries", "dataplane", d.dataplane.tx_retries, 0, 1000);
        choice(n, "poll", "dataplane", d.dataplane.poll, {{"busy", PollMode::Busy}, {"adaptive", PollMode::Adaptive}});
      }
    }
    choice(root, "numa", "", d.numa, {{"warn", NumaPolicy::Warn}, {"strict", NumaPolicy::Strict}});
  }

 private:
  void load_eal(const YAML::Node& n) {
    if (!is_map(n, "eal")) return;
    auto& e = r_.deployment.eal;
    check_keys(n, "eal", {"lcores", "main_lcore", "memory_mb", "hugepages", "file_prefix", "extra_args"});
    text(n, "lcores", "eal", e.lcores);
    number(n, "main_lcore", "eal", e.main_lcore, 0, 1023);
    number(n, "memory_mb", "eal", e.memory_mb, 0, 1u << 20);
    boolean(n, "hugepages", "eal", e.hugepages);
    text(n, "file_prefix", "eal", e.file_prefix);
    if (auto x = n["extra_args"]; x && is_seq(x, "eal.extra_args"))
      for (size_t i = 0; i < x.size(); ++i) {
        if (x[i].IsScalar())
          e.extra_args.push_back(x[i].Scalar());
        else
          error(x[i], index_path("eal.extra_args", i), "expected a string, got " + shown(x[i]));
      }
  }

  void load_mempools(const YAML::Node& n) {
    if (!is_seq(n, "mempools")) return;
    auto& pools = r_.deployment.mempools;
    pools.clear();
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string p = index_path("mempools", i);
      const YAML::Node m = n[i];
      mark(p, m);
      if (!is_map(m, p)) continue;
      check_keys(m, p, {"socket", "mbufs", "cache", "data_room"});
      MempoolConfig mc;
      number(m, "socket", p, mc.socket, 0, 63);
      if (auto x = scalar(m, "mbufs", p); x && x.Scalar() != "auto") {
        uint32_t v = 0;
        if (x.Scalar().find_first_not_of("0123456789") != std::string::npos)
          error(x, p + ".mbufs", "\"" + x.Scalar() + "\" is not allowed; use auto or a count of mbufs");
        else if (parse_number(x, p + ".mbufs", v, 1, UINT32_MAX))
          mc.mbufs = v;
      }
      number(m, "cache", p, mc.cache, 0, 512);
      number(m, "data_room", p, mc.data_room, 64, 65535 - 128);
      pools.push_back(mc);
    }
  }

  void load_ports(const YAML::Node& n) {
    if (!is_seq(n, "ports")) return;
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string p = index_path("ports", i);
      const YAML::Node m = n[i];
      mark(p, m);
      PortConfig pc;
      if (is_map(m, p)) {
        check_keys(m, p,
                   {"name", "device", "rx_queues", "tx_queues", "rx_desc", "tx_desc", "promiscuous", "socket",
                    "steering", "audit"});
        require(m, p, {"name", "device"});
        text(m, "name", p, pc.name);
        text(m, "device", p, pc.device);
        number(m, "rx_queues", p, pc.rx_queues, 1, kMaxQueuesPerPort);
        number(m, "tx_queues", p, pc.tx_queues, 1, kMaxQueuesPerPort);
        number(m, "rx_desc", p, pc.rx_desc, 16, 32768);
        number(m, "tx_desc", p, pc.tx_desc, 16, 32768);
        boolean(m, "promiscuous", p, pc.promiscuous);
        if (m["socket"]) {
          int s = 0;
          number(m, "socket", p, s, 0, 63);
          pc.socket = s;
        }
        if (YAML::Node st = m["steering"]) pc.steering = SteeringLoader(r_).load(st, p + ".steering", pc.rx_queues);
        if (YAML::Node au = m["audit"]; au && is_map(au, p + ".audit")) {
          check_keys(au, p + ".audit", {"flow_offset", "seq_offset"});
          AuditConfig a;
          number(au, "flow_offset", p + ".audit", a.flow_offset, 0, 9000);
          number(au, "seq_offset", p + ".audit", a.seq_offset, 0, 9000);
          pc.audit = a;
        }
      }
      r_.deployment.ports.push_back(pc);  // kept even when broken, so indices match the file
    }
  }

  // "p0:1", "p0:0-3" or "p0:*" -> queue ids; errors name the selector.
  bool queues(const YAML::Node& n, const std::string& path, std::vector<QueueId>& out, bool device = false) {
    const auto& ports = r_.deployment.ports;
    if (!n.IsScalar()) {
      error(n, path, "expected a queue like \"p0:1\", \"p0:0-3\" or \"p0:*\", got " + shown(n));
      return false;
    }
    const std::string& s = n.Scalar();
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos) {
      error(n, path, "\"" + s + "\" is not a queue; write PORT:QUEUE, PORT:FIRST-LAST or PORT:*");
      return false;
    }
    const std::string name = s.substr(0, colon), sel = s.substr(colon + 1);
    size_t pi = 0;
    while (pi < ports.size() && ports[pi].name != name) ++pi;
    if (pi == ports.size()) {
      std::string known;
      for (const auto& p : ports) known += (known.empty() ? "" : ", ") + p.name;
      error(n, path,
            "\"" + s + "\" names no port \"" + name + "\"; the ports are " + (known.empty() ? "(none)" : known));
      return false;
    }
    uint32_t first = 0, last = 0;
    auto num = [](const std::string& t, uint32_t& v) {
      if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) return false;
      v = uint32_t(std::stoul(t));
      return true;
    };
    if (sel == "*") {
      if (device) {
        error(n, path, "\"" + s + "\": name the device queues to dispatch one by one (e.g. " + name + ":0)");
        return false;
      }
      last = ports[pi].rx_queues - 1u;
    } else if (auto dash = sel.find('-'); dash != std::string::npos) {
      if (!num(sel.substr(0, dash), first) || !num(sel.substr(dash + 1), last) || last < first) {
        error(n, path, "\"" + s + "\" has a bad queue range; write e.g. " + name + ":0-3");
        return false;
      }
    } else if (!num(sel, first)) {
      error(n, path, "\"" + s + "\" has a bad queue number; write e.g. " + name + ":0");
      return false;
    } else {
      last = first;
    }
    for (uint32_t q = first; q <= last; ++q) out.push_back(QueueId{uint16_t(pi), uint16_t(q)});
    return true;
  }

  void load_lcores(const YAML::Node& n) {
    if (!is_seq(n, "lcores")) return;
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string p = index_path("lcores", i);
      const YAML::Node m = n[i];
      mark(p, m);
      LcoreConfig lc;
      if (is_map(m, p)) {
        check_keys(m, p, {"lcore", "poll", "dispatch"});
        require(m, p, {"lcore"});
        if (!m["poll"] && !m["dispatch"])
          error(m, p, "give the lcore queues to poll (poll: [p0:0]) or to dispatch (dispatch: [p0:0])");
        if (YAML::Node dis = m["dispatch"]) {
          std::vector<YAML::Node> items;
          if (dis.IsSequence())
            for (size_t j = 0; j < dis.size(); ++j) items.push_back(dis[j]);
          else
            items.push_back(dis);
          for (size_t j = 0; j < items.size(); ++j) {
            size_t before = lc.dispatch.size();
            queues(items[j], index_path(p + ".dispatch", j), lc.dispatch, true);
            for (size_t k = before; k < lc.dispatch.size(); ++k) mark(index_path(p + ".dispatch", k), items[j]);
          }
        }
        number(m, "lcore", p, lc.lcore, 0, 1023);
        if (YAML::Node poll = m["poll"]) {
          // A single selector may stand alone: poll: "p0:*"
          std::vector<YAML::Node> items;
          if (poll.IsSequence())
            for (size_t j = 0; j < poll.size(); ++j) items.push_back(poll[j]);
          else
            items.push_back(poll);
          for (size_t j = 0; j < items.size(); ++j) {
            size_t before = lc.poll.size();
            queues(items[j], index_path(p + ".poll", j), lc.poll);
            for (size_t k = before; k < lc.poll.size(); ++k) mark(index_path(p + ".poll", k), items[j]);
          }
        }
      }
      r_.deployment.lcores.push_back(lc);
    }
  }

  void load_pipelines(const YAML::Node& n) {
    if (!is_seq(n, "pipelines")) return;
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string p = index_path("pipelines", i);
      const YAML::Node m = n[i];
      mark(p, m);
      PipelineConfig pl;
      if (is_map(m, p)) {
        check_keys(m, p, {"queues", "action", "to", "dst_mac"});
        require(m, p, {"queues", "action"});
        if (YAML::Node q = m["queues"]) {
          if (q.IsSequence())
            for (size_t j = 0; j < q.size(); ++j) queues(q[j], index_path(p + ".queues", j), pl.queues);
          else
            queues(q, p + ".queues", pl.queues);
        }
        choice(m, "action", p, pl.action,
               {{"echo", Action::Echo}, {"forward", Action::Forward}, {"drop", Action::Drop}});
        if (auto to = scalar(m, "to", p)) {
          const auto& ports = r_.deployment.ports;
          auto it =
              std::find_if(ports.begin(), ports.end(), [&](const PortConfig& pc) { return pc.name == to.Scalar(); });
          if (it == ports.end()) {
            std::string known;
            for (const auto& pc : ports) known += (known.empty() ? "" : ", ") + pc.name;
            error(to, p + ".to", "\"" + to.Scalar() + "\" is not a port; forward to one of " + known);
          } else {
            pl.to = uint16_t(it - ports.begin());
          }
        }
        if (auto mac = scalar(m, "dst_mac", p)) {
          if (auto v = parse_mac(mac.Scalar()))
            pl.dst_mac = v;
          else
            error(mac, p + ".dst_mac",
                  "\"" + mac.Scalar() + "\" is not a MAC address; write six hex pairs like 02:00:00:00:00:02");
        }
      }
      r_.deployment.pipelines.push_back(pl);
    }
  }
};

}  // namespace

std::string ConfigResult::locate(const ConfigError& e) const {
  std::string path = e.path;
  for (;;) {
    if (auto it = marks.find(path); it != marks.end())
      return file + ":" + std::to_string(it->second.first) + ":" + std::to_string(it->second.second) + ": " +
             (e.path.empty() ? "" : e.path + ": ") + e.message;
    if (path.empty()) break;
    size_t cut = path.find_last_of(".[");
    path = cut == std::string::npos ? "" : path.substr(0, cut);
  }
  return file + ": " + (e.path.empty() ? "" : e.path + ": ") + e.message;
}

ConfigResult load_config(std::istream& in, const std::string& file) {
  ConfigResult r;
  r.file = file;
  r.deployment.ports.clear();
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& ex) {
    r.errors.push_back(file + ":" + std::to_string(ex.mark.line + 1) + ":" + std::to_string(ex.mark.column + 1) +
                       ": YAML syntax: " + ex.msg);
    return r;
  }
  try {
    Loader(r).load(root);
  } catch (const YAML::Exception& ex) {  // defensive: the loader checks types before converting
    r.errors.push_back(file + ":" + std::to_string(ex.mark.line + 1) + ":" + std::to_string(ex.mark.column + 1) + ": " +
                       ex.msg);
  }
  if (!r.errors.empty()) return r;
  for (const auto& e : validate(r.deployment)) r.errors.push_back(r.locate(e));
  return r;
}

ConfigResult load_config_file(const std::string& path, std::string* text) {
  std::ifstream in(path);
  if (!in) {
    ConfigResult r;
    r.file = path;
    r.errors.push_back(path + ": cannot open the file; check the path given to --config");
    return r;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (text) *text = buf.str();
  return load_config(buf, path);
}

}  // namespace steer
