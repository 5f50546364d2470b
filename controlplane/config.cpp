#include "config.h"

#include <arpa/inet.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string_view>

#include "steer/steering.h"

namespace steer {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

using Keys = std::initializer_list<std::string_view>;

class Loader {
 public:
  explicit Loader(ConfigResult& r) : r_(r) {}

  void load(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      error_at(1, 1, "", "the file is empty; it needs at least ports:, lcores: and pipelines:");
      return;
    }
    if (!is_map(root, "")) return;
    mark("", root);
    check_keys(root, "", {"eal", "mempools", "ports", "lcores", "pipelines", "dataplane", "numa", "control"});
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
  ConfigResult& r_;

  static std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }
  static std::string index_path(const std::string& parent, size_t i) { return parent + "[" + std::to_string(i) + "]"; }

  void mark(const std::string& path, const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.line >= 0) r_.marks.emplace(path, std::make_pair(m.line + 1, m.column + 1));
  }
  void error_at(int line, int col, const std::string& path, const std::string& msg) {
    r_.errors.push_back(r_.file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                        (path.empty() ? "" : path + ": ") + msg);
  }
  void error(const YAML::Node& n, const std::string& path, const std::string& msg) {
    const YAML::Mark m = n.Mark();
    error_at(m.line + 1, m.column + 1, path, msg);
  }
  static std::string shown(const YAML::Node& n) {
    if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "nothing";
  }

  bool is_map(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    error(n, path, "expected a mapping (key: value), got " + shown(n));
    return false;
  }
  bool is_seq(const YAML::Node& n, const std::string& path) {
    if (n.IsSequence()) return true;
    error(n, path, "expected a list, got " + shown(n));
    return false;
  }

  void check_keys(const YAML::Node& map, const std::string& path, Keys allowed) {
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
        mark(join_path(path, key), kv.second);
        continue;
      }
      std::string list, guess;
      for (auto a : allowed) {
        list += (list.empty() ? "" : ", ") + std::string(a);
        if (guess.empty() && edit_distance(key, a) <= 2) guess = std::string(a);
      }
      error(kv.first, join_path(path, key),
            "unknown key" + (guess.empty() ? "" : " (did you mean " + guess + "?)") + "; allowed here: " + list);
    }
  }

  // The scalar under `key` in `map`, or nullptr-like undefined when absent.
  YAML::Node scalar(const YAML::Node& map, const char* key, const std::string& path) {
    YAML::Node n = map[key];
    if (!n) return n;
    if (!n.IsScalar()) {
      error(n, join_path(path, key), "expected a single value, got " + shown(n));
      return YAML::Node(YAML::NodeType::Undefined);
    }
    return n;
  }

  template <typename T>
  bool parse_number(const YAML::Node& n, const std::string& path, T& out, uint64_t lo, uint64_t hi) {
    const std::string& s = n.Scalar();
    uint64_t v = 0;
    bool ok =
        !s.empty() && s.size() <= 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) v = std::stoull(s);
    if (!ok || v < lo || v > hi) {
      error(
          n, path,
          "\"" + s + "\" is not allowed; use a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return false;
    }
    out = T(v);
    return true;
  }

  template <typename T>
  void number(const YAML::Node& map, const char* key, const std::string& path, T& out, uint64_t lo, uint64_t hi) {
    if (auto n = scalar(map, key, path)) parse_number(n, join_path(path, key), out, lo, hi);
  }

  void boolean(const YAML::Node& map, const char* key, const std::string& path, bool& out) {
    auto n = scalar(map, key, path);
    if (!n) return;
    const std::string& s = n.Scalar();
    if (s == "true")
      out = true;
    else if (s == "false")
      out = false;
    else
      error(n, join_path(path, key), "\"" + s + "\" is not allowed; use true or false");
  }

  void text(const YAML::Node& map, const char* key, const std::string& path, std::string& out) {
    if (auto n = scalar(map, key, path)) out = n.Scalar();
  }

  template <typename E>
  void choice(const YAML::Node& map, const char* key, const std::string& path, E& out,
              std::initializer_list<std::pair<std::string_view, E>> options) {
    auto n = scalar(map, key, path);
    if (!n) return;
    std::string list;
    for (const auto& [name, value] : options) {
      if (n.Scalar() == name) {
        out = value;
        return;
      }
      list += (list.empty() ? "" : " or ") + std::string(name);
    }
    error(n, join_path(path, key), "\"" + n.Scalar() + "\" is not allowed; use " + list);
  }

  void require(const YAML::Node& map, const std::string& path, Keys keys) {
    for (auto k : keys)
      if (!map[std::string(k)]) error(map, join_path(path, std::string(k)), "missing; this key is required");
  }

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
        if (YAML::Node st = m["steering"]) pc.steering = load_steering(st, p + ".steering", pc.rx_queues);
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

  template <size_t N>
  bool prefix(const YAML::Node& n, const std::string& path, std::optional<std::array<uint8_t, N>>& addr, uint8_t& len) {
    std::array<uint8_t, N> bytes{};
    if (!parse_prefix(n.Scalar(), N, bytes.data(), &len)) {
      error(n, path,
            "\"" + n.Scalar() + "\" is not an " + (N == 4 ? "IPv4" : "IPv6") + " address or prefix; write e.g. " +
                (N == 4 ? "10.0.0.0/24" : "2001:db8::/32"));
      return false;
    }
    addr = bytes;
    return true;
  }

  void port_match(const YAML::Node& map, const char* key, const std::string& path, std::optional<PortMatch>& out) {
    auto n = scalar(map, key, path);
    if (!n) return;
    const std::string& t = n.Scalar();
    const size_t slash = t.find('/');
    char* end = nullptr;
    unsigned long v = std::strtoul(t.c_str(), &end, 0), mask = 0xffff;
    bool ok = !t.empty() && (slash == std::string::npos ? *end == 0 : end == t.c_str() + slash) && v <= 0xffff;
    if (ok && slash != std::string::npos) {
      mask = std::strtoul(t.c_str() + slash + 1, &end, 0);
      ok = *end == 0 && mask <= 0xffff;
    }
    if (!ok) {
      error(n, join_path(path, key), "\"" + t + "\" is not a port; write 53, or value/mask like 0x1000/0xf000");
      return;
    }
    out = PortMatch{uint16_t(v), uint16_t(mask)};
  }

  std::optional<SteeringConfig> load_steering(const YAML::Node& n, const std::string& p, uint16_t queues) {
    if (!is_map(n, p)) return std::nullopt;
    check_keys(n, p, {"mode", "rss", "flows", "drain", "drain_timeout_ms"});
    SteeringConfig sc;
    choice(n, "mode", p, sc.mode,
           {{"auto", SteeringMode::Auto}, {"hardware", SteeringMode::Hardware}, {"software", SteeringMode::Software}});
    boolean(n, "drain", p, sc.drain);
    number(n, "drain_timeout_ms", p, sc.drain_timeout_ms, 1, 60000);
    std::vector<uint16_t> all(queues);
    for (uint16_t q = 0; q < queues; ++q) all[q] = q;
    sc.rss.reta = reta_spread(128, all);
    if (YAML::Node rss = n["rss"]; rss && is_map(rss, p + ".rss")) {
      const std::string rp = p + ".rss";
      check_keys(rss, rp, {"types", "key", "reta"});
      if (YAML::Node t = rss["types"]; t && is_seq(t, rp + ".types")) {
        sc.rss.types = 0;
        for (size_t i = 0; i < t.size(); ++i) {
          uint32_t bit = 0;
          for (auto [name, b] : kRssTypeNames)
            if (t[i].IsScalar() && t[i].Scalar() == name) bit = b;
          if (!bit)
            error(t[i], index_path(rp + ".types", i),
                  shown(t[i]) + " is not a hash type; use ipv4, ipv4-tcp, ipv4-udp, ipv6, ipv6-tcp or ipv6-udp");
          sc.rss.types |= bit;
        }
      }
      if (auto k = scalar(rss, "key", rp); k && !parse_hex(k.Scalar(), &sc.rss.key))
        error(k, rp + ".key", "\"" + k.Scalar() + "\" is not hex; write 80 or 104 hex digits (40 or 52 bytes)");
      if (YAML::Node r = rss["reta"]; r && is_map(r, rp + ".reta")) {
        const std::string tp = rp + ".reta";
        check_keys(r, tp, {"size", "spread", "entries", "weights"});
        uint32_t size = 128;
        number(r, "size", tp, size, 1, 65536);
        const int given = int(bool(r["spread"])) + int(bool(r["entries"])) + int(bool(r["weights"]));
        if (given > 1) error(r, tp, "give one of spread, entries or weights");
        auto queue_list = [&](const YAML::Node& l, const std::string& lp, std::vector<uint16_t>& out) {
          if (!is_seq(l, lp)) return;
          for (size_t i = 0; i < l.size(); ++i) {
            uint16_t q = 0;
            if (!l[i].IsScalar())
              error(l[i], index_path(lp, i), "expected a queue number");
            else if (parse_number(l[i], index_path(lp, i), q, 0, kMaxQueuesPerPort - 1))
              out.push_back(q);
          }
        };
        if (YAML::Node sp = r["spread"]) {
          std::vector<uint16_t> qs;
          queue_list(sp, tp + ".spread", qs);
          sc.rss.reta = reta_spread(size, qs);
        } else if (YAML::Node en = r["entries"]) {
          sc.rss.reta.clear();
          queue_list(en, tp + ".entries", sc.rss.reta);
        } else if (YAML::Node w = r["weights"]; w && is_map(w, tp + ".weights")) {
          std::map<uint16_t, uint32_t> weights;
          for (const auto& kv : w) {
            uint16_t q = 0;
            uint32_t wt = 0;
            if (parse_number(kv.first, tp + ".weights", q, 0, kMaxQueuesPerPort - 1) &&
                parse_number(kv.second, tp + ".weights." + kv.first.Scalar(), wt, 1, 1000000))
              weights[q] = wt;
          }
          sc.rss.reta = reta_weights(size, weights);
        } else {
          sc.rss.reta = reta_spread(size, all);
        }
        if (given) mark(rp + ".reta", r);
      }
    }
    if (YAML::Node fl = n["flows"]; fl && is_seq(fl, p + ".flows")) {
      for (size_t i = 0; i < fl.size(); ++i) {
        const std::string fp = index_path(p + ".flows", i);
        const YAML::Node f = fl[i];
        mark(fp, f);
        FlowRule r;
        if (!is_map(f, fp)) continue;
        check_keys(f, fp, {"name", "priority", "match", "action"});
        require(f, fp, {"name", "priority", "action"});
        text(f, "name", fp, r.name);
        number(f, "priority", fp, r.priority, 0, 0xffffffffu);
        if (YAML::Node mt = f["match"]; mt && is_map(mt, fp + ".match")) {
          const std::string mp = fp + ".match";
          check_keys(mt, mp,
                     {"eth_type", "vlan", "ipv4_src", "ipv4_dst", "ipv6_src", "ipv6_dst", "ip_proto", "tcp_src",
                      "tcp_dst", "udp_src", "udp_dst"});
          FlowMatch& m = r.match;
          if (auto x = scalar(mt, "eth_type", mp)) {
            char* end = nullptr;
            unsigned long v = std::strtoul(x.Scalar().c_str(), &end, 0);
            if (*end || v > 0xffff)
              error(x, mp + ".eth_type", "\"" + x.Scalar() + "\" is not an EtherType; write e.g. 0x0800");
            else
              m.eth_type = uint16_t(v);
          }
          if (mt["vlan"]) {
            uint16_t v = 0;
            number(mt, "vlan", mp, v, 0, 4095);
            m.vlan = v;
          }
          if (auto x = scalar(mt, "ipv4_src", mp)) prefix<4>(x, mp + ".ipv4_src", m.ipv4_src, m.ipv4_src_len);
          if (auto x = scalar(mt, "ipv4_dst", mp)) prefix<4>(x, mp + ".ipv4_dst", m.ipv4_dst, m.ipv4_dst_len);
          if (auto x = scalar(mt, "ipv6_src", mp)) prefix<16>(x, mp + ".ipv6_src", m.ipv6_src, m.ipv6_src_len);
          if (auto x = scalar(mt, "ipv6_dst", mp)) prefix<16>(x, mp + ".ipv6_dst", m.ipv6_dst, m.ipv6_dst_len);
          if (auto x = scalar(mt, "ip_proto", mp)) {
            if (x.Scalar() == "tcp")
              m.ip_proto = 6;
            else if (x.Scalar() == "udp")
              m.ip_proto = 17;
            else {
              uint8_t v = 0;
              if (parse_number(x, mp + ".ip_proto", v, 0, 255)) m.ip_proto = v;
            }
          }
          port_match(mt, "tcp_src", mp, m.tcp_src);
          port_match(mt, "tcp_dst", mp, m.tcp_dst);
          port_match(mt, "udp_src", mp, m.udp_src);
          port_match(mt, "udp_dst", mp, m.udp_dst);
        }
        if (YAML::Node ac = f["action"]; ac && is_map(ac, fp + ".action")) {
          const std::string ap = fp + ".action";
          check_keys(ac, ap, {"queue", "rss", "drop", "mark"});
          if (ac["queue"]) {
            uint16_t q = 0;
            number(ac, "queue", ap, q, 0, kMaxQueuesPerPort - 1);
            r.action.queue = q;
          }
          if (YAML::Node l = ac["rss"]; l && is_seq(l, ap + ".rss"))
            for (size_t j = 0; j < l.size(); ++j) {
              uint16_t q = 0;
              if (l[j].IsScalar() && parse_number(l[j], index_path(ap + ".rss", j), q, 0, kMaxQueuesPerPort - 1))
                r.action.rss.push_back(q);
            }
          boolean(ac, "drop", ap, r.action.drop);
          if (ac["mark"]) {
            uint32_t v = 0;
            number(ac, "mark", ap, v, 0, 0xffffffffu);
            r.action.mark = v;
          }
        }
        sc.flows.push_back(r);
      }
    }
    return sc;
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

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ConfigResult r;
    r.file = path;
    r.errors.push_back(path + ": cannot open the file; check the path given to --config");
    return r;
  }
  return load_config(in, path);
}

}  // namespace steer

namespace steer {
namespace {

template <size_t N>
std::string prefix_text(const std::array<uint8_t, N>& a, uint8_t len) {
  return format_prefix(a.data(), N, len);
}

std::string port_text(const PortMatch& p) {
  if (p.mask == 0xffff) return std::to_string(p.value);
  char b[32];
  std::snprintf(b, sizeof b, "0x%x/0x%x", p.value, p.mask);
  return b;
}

void emit_steering(YAML::Emitter& e, const SteeringConfig& s) {
  e << YAML::BeginMap << YAML::Key << "mode" << YAML::Value << to_string(s.mode);
  e << YAML::Key << "rss" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "types" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (auto [name, bit] : kRssTypeNames)
    if (s.rss.types & bit) e << name;
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
      const FlowMatch& m = r.match;
      e << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
      if (m.eth_type) e << YAML::Key << "eth_type" << YAML::Value << *m.eth_type;
      if (m.vlan) e << YAML::Key << "vlan" << YAML::Value << *m.vlan;
      if (m.ipv4_src) e << YAML::Key << "ipv4_src" << YAML::Value << prefix_text(*m.ipv4_src, m.ipv4_src_len);
      if (m.ipv4_dst) e << YAML::Key << "ipv4_dst" << YAML::Value << prefix_text(*m.ipv4_dst, m.ipv4_dst_len);
      if (m.ipv6_src)
        e << YAML::Key << "ipv6_src" << YAML::Value << YAML::DoubleQuoted << prefix_text(*m.ipv6_src, m.ipv6_src_len);
      if (m.ipv6_dst)
        e << YAML::Key << "ipv6_dst" << YAML::Value << YAML::DoubleQuoted << prefix_text(*m.ipv6_dst, m.ipv6_dst_len);
      if (m.ip_proto) e << YAML::Key << "ip_proto" << YAML::Value << unsigned(*m.ip_proto);
      if (m.tcp_src) e << YAML::Key << "tcp_src" << YAML::Value << port_text(*m.tcp_src);
      if (m.tcp_dst) e << YAML::Key << "tcp_dst" << YAML::Value << port_text(*m.tcp_dst);
      if (m.udp_src) e << YAML::Key << "udp_src" << YAML::Value << port_text(*m.udp_src);
      if (m.udp_dst) e << YAML::Key << "udp_dst" << YAML::Value << port_text(*m.udp_dst);
      e << YAML::EndMap << YAML::Key << "action" << YAML::Value << YAML::BeginMap;
      if (r.action.queue) e << YAML::Key << "queue" << YAML::Value << *r.action.queue;
      if (!r.action.rss.empty()) {
        e << YAML::Key << "rss" << YAML::Value << YAML::BeginSeq;
        for (uint16_t q : r.action.rss) e << q;
        e << YAML::EndSeq;
      }
      if (r.action.drop) e << YAML::Key << "drop" << YAML::Value << true;
      if (r.action.mark) e << YAML::Key << "mark" << YAML::Value << *r.action.mark;
      e << YAML::EndMap << YAML::EndMap;
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
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace steer
