#include "steer/text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace steer {

std::string format_mac(const MacAddr& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

std::optional<MacAddr> parse_mac(const std::string& s) {
  MacAddr m{};
  if (s.size() != 17) return std::nullopt;
  for (size_t i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (size_t j = 0; j < 2; ++j) {
      char c = s[i * 3 + j];
      unsigned nib;
      if (c >= '0' && c <= '9')
        nib = unsigned(c - '0');
      else if (c >= 'a' && c <= 'f')
        nib = unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        nib = unsigned(c - 'A' + 10);
      else
        return std::nullopt;
      v = v * 16 + nib;
    }
    if (i < 5 && s[i * 3 + 2] != ':') return std::nullopt;
    m[i] = uint8_t(v);
  }
  return m;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
  std::string s;
  char x[3];
  for (uint8_t b : bytes) {
    std::snprintf(x, sizeof x, "%02x", b);
    s += x;
  }
  return s;
}

bool parse_hex(const std::string& text, std::vector<uint8_t>* out) {
  std::string h;
  for (char c : text)
    if (c != ':' && c != ' ') h += c;
  if (h.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < h.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(h[i])) || !std::isxdigit(static_cast<unsigned char>(h[i + 1])))
      return false;
    out->push_back(uint8_t(std::strtoul(h.substr(i, 2).c_str(), nullptr, 16)));
  }
  return true;
}

void prefix_mask(uint8_t* m, size_t bytes, unsigned len) {
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned bits = len >= (i + 1) * 8 ? 8 : len > i * 8 ? len - unsigned(i) * 8 : 0;
    m[i] = bits ? uint8_t(0xff << (8 - bits)) : 0;
  }
}

std::string format_prefix(const uint8_t* addr, size_t bytes, uint8_t len) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(bytes == 4 ? AF_INET : AF_INET6, addr, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(len);
}

namespace {

// A whole number in decimal or (`hex`) 0x hex, at most `max`. A leading zero is
// decimal (strtoull's base 0 read "053" as octal 43 and refused "08").
bool parse_uint(std::string_view t, uint64_t max, uint64_t* v, bool hex = true) {
  int base = 10;
  if (hex && t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    t.remove_prefix(2);
    base = 16;
  }
  uint64_t x = 0;
  const char* end = t.data() + t.size();
  const auto [at, ec] = std::from_chars(t.data(), end, x, base);  // no sign, space or prefix of its own
  if (t.empty() || ec != std::errc() || at != end || x > max) return false;
  *v = x;
  return true;
}

}  // namespace

bool parse_prefix(const std::string& t, size_t bytes, uint8_t* addr, uint8_t* len) {
  const size_t slash = t.find('/');
  uint8_t b[16] = {};
  if (inet_pton(bytes == 4 ? AF_INET : AF_INET6, t.substr(0, slash).c_str(), b) != 1) return false;
  uint64_t l = bytes * 8;
  if (slash != std::string::npos && !parse_uint(std::string_view(t).substr(slash + 1), bytes * 8, &l, false))
    return false;  // a prefix length is decimal
  std::memcpy(addr, b, bytes);
  *len = uint8_t(l);
  return true;
}

std::string format_queue(const Deployment& d, QueueId q) {
  std::string port = q.port < d.ports.size() ? d.ports[q.port].name : "port#" + std::to_string(q.port);
  return port + ":" + std::to_string(q.queue);
}

uint32_t rss_type_bit(const std::string& name) {
  for (auto [n, bit] : kRssTypeNames)
    if (name == n) return bit;
  return 0;
}

std::vector<std::string> rss_type_names(uint32_t types) {
  std::vector<std::string> out;
  for (auto [n, bit] : kRssTypeNames)
    if (types & bit) out.emplace_back(n);
  return out;
}

namespace {

std::string port_text(const PortMatch& p) {
  if (p.mask == 0xffff) return std::to_string(p.value);
  char b[32];
  std::snprintf(b, sizeof b, "0x%x/0x%x", p.value, p.mask);
  return b;
}

bool parse_port_match(std::string_view t, PortMatch* out) {
  const size_t slash = t.find('/');
  uint64_t v = 0, mask = 0xffff;
  if (!parse_uint(t.substr(0, slash), 0xffff, &v)) return false;
  if (slash != std::string_view::npos && !parse_uint(t.substr(slash + 1), 0xffff, &mask)) return false;
  *out = PortMatch{uint16_t(v), uint16_t(mask)};
  return true;
}

template <size_t N>
std::string prefix_text(const std::array<uint8_t, N>& a, uint8_t len) {
  return format_prefix(a.data(), N, len);
}

template <size_t N>
std::string set_prefix(const std::string& t, std::optional<std::array<uint8_t, N>>* addr, uint8_t* len) {
  std::array<uint8_t, N> b{};
  if (!parse_prefix(t, N, b.data(), len))
    return "\"" + t + "\" is not an " + (N == 4 ? "IPv4" : "IPv6") + " address or prefix; write e.g. " +
           (N == 4 ? "10.0.0.0/24" : "2001:db8::/32");
  *addr = b;
  return "";
}

std::string join_queues(const std::vector<uint16_t>& qs) {
  std::string s;
  for (uint16_t q : qs) {
    if (!s.empty()) s += ',';
    s += std::to_string(q);
  }
  return s;
}

}  // namespace

const std::vector<std::string> kRuleMatchKeys = {"eth_type", "vlan",    "ipv4_src", "ipv4_dst", "ipv6_src", "ipv6_dst",
                                                 "ip_proto", "tcp_src", "tcp_dst",  "udp_src",  "udp_dst"};
const std::vector<std::string> kRuleActionKeys = {"queue", "rss", "drop", "mark"};

std::vector<RuleField> rule_fields(const FlowRule& r) {
  std::vector<RuleField> f;
  f.reserve(4);  // most rules: a few match fields and one action
  const FlowMatch& m = r.match;
  char b[16];
  if (m.eth_type) {
    std::snprintf(b, sizeof b, "0x%04x", *m.eth_type);
    f.push_back({"eth_type", b});
  }
  if (m.vlan) f.push_back({"vlan", std::to_string(*m.vlan)});
  if (m.ipv4_src) f.push_back({"ipv4_src", prefix_text(*m.ipv4_src, m.ipv4_src_len)});
  if (m.ipv4_dst) f.push_back({"ipv4_dst", prefix_text(*m.ipv4_dst, m.ipv4_dst_len)});
  if (m.ipv6_src) f.push_back({"ipv6_src", prefix_text(*m.ipv6_src, m.ipv6_src_len)});
  if (m.ipv6_dst) f.push_back({"ipv6_dst", prefix_text(*m.ipv6_dst, m.ipv6_dst_len)});
  if (m.ip_proto) f.push_back({"ip_proto", std::to_string(*m.ip_proto)});
  if (m.tcp_src) f.push_back({"tcp_src", port_text(*m.tcp_src)});
  if (m.tcp_dst) f.push_back({"tcp_dst", port_text(*m.tcp_dst)});
  if (m.udp_src) f.push_back({"udp_src", port_text(*m.udp_src)});
  if (m.udp_dst) f.push_back({"udp_dst", port_text(*m.udp_dst)});
  const FlowActionSpec& a = r.action;
  if (a.queue) f.push_back({"queue", std::to_string(*a.queue), true});
  if (!a.rss.empty()) f.push_back({"rss", join_queues(a.rss), true});
  if (a.drop) f.push_back({"drop", "true", true});
  if (a.mark) f.push_back({"mark", std::to_string(*a.mark), true});
  return f;
}

std::string set_rule_field(FlowRule* r, std::string_view key, const std::string& t) {
  FlowMatch& m = r->match;
  FlowActionSpec& a = r->action;
  uint64_t v = 0;
  auto port = [&](std::optional<PortMatch>& out) -> std::string {
    PortMatch p;
    if (!parse_port_match(t, &p)) return "\"" + t + "\" is not a port; write 53, or value/mask like 0x1000/0xf000";
    out = p;
    return "";
  };
  auto queue = [&](uint64_t* q) -> std::string {
    if (!parse_uint(t, kMaxQueuesPerPort - 1, q))
      return "\"" + t + "\" is not a queue number (0-" + std::to_string(kMaxQueuesPerPort - 1) + ")";
    return "";
  };
  if (key == "eth_type") {
    if (!parse_uint(t, 0xffff, &v)) return "\"" + t + "\" is not an EtherType; write e.g. 0x0800";
    m.eth_type = uint16_t(v);
  } else if (key == "vlan") {
    if (!parse_uint(t, 4095, &v)) return "\"" + t + "\" is not a VLAN id; use 0-4095";
    m.vlan = uint16_t(v);
  } else if (key == "ipv4_src") {
    return set_prefix<4>(t, &m.ipv4_src, &m.ipv4_src_len);
  } else if (key == "ipv4_dst") {
    return set_prefix<4>(t, &m.ipv4_dst, &m.ipv4_dst_len);
  } else if (key == "ipv6_src") {
    return set_prefix<16>(t, &m.ipv6_src, &m.ipv6_src_len);
  } else if (key == "ipv6_dst") {
    return set_prefix<16>(t, &m.ipv6_dst, &m.ipv6_dst_len);
  } else if (key == "ip_proto") {
    if (t == "tcp")
      v = 6;
    else if (t == "udp")
      v = 17;
    else if (!parse_uint(t, 255, &v))
      return "\"" + t + "\" is not an IP protocol; use tcp, udp or a number 0-255";
    m.ip_proto = uint8_t(v);
  } else if (key == "tcp_src") {
    return port(m.tcp_src);
  } else if (key == "tcp_dst") {
    return port(m.tcp_dst);
  } else if (key == "udp_src") {
    return port(m.udp_src);
  } else if (key == "udp_dst") {
    return port(m.udp_dst);
  } else if (key == "queue") {
    if (auto e = queue(&v); !e.empty()) return e;
    a.queue = uint16_t(v);
  } else if (key == "rss") {
    std::vector<uint16_t> qs;
    if (!parse_queue_list(t, &qs)) return "\"" + t + "\" is not a list of queues; write e.g. 0,1 or 0-3";
    a.rss = qs;
  } else if (key == "drop") {
    if (t != "true" && t != "false") return "\"" + t + "\" is not allowed; use true or false";
    a.drop = t == "true";
  } else if (key == "mark") {
    if (!parse_uint(t, 0xffffffffu, &v)) return "\"" + t + "\" is not a mark; use a number 0-4294967295";
    a.mark = uint32_t(v);
  } else {
    return "unknown field";
  }
  return "";
}

std::string format_rule(const FlowRule& r) {
  std::string m, a;
  for (const auto& f : rule_fields(r)) {
    std::string& to = f.action ? a : m;
    if (f.key == "drop")
      to += " drop";
    else
      to += " " + f.key + (f.action ? " " : "=") + f.text;
  }
  return (m.empty() ? " any" : m) + " ->" + a;
}

bool parse_queue_list(const std::string& text, std::vector<uint16_t>* out) {
  out->clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const size_t dash = item.find('-');
    uint64_t first = 0, last = 0;
    if (!parse_uint(item.substr(0, dash), kMaxQueuesPerPort - 1, &first)) return false;
    last = first;
    if (dash != std::string::npos && (!parse_uint(item.substr(dash + 1), kMaxQueuesPerPort - 1, &last) || last < first))
      return false;
    for (uint64_t q = first; q <= last; ++q) out->push_back(uint16_t(q));
    pos = comma + 1;
  }
  return !out->empty();
}

std::string quote_name(const std::string& s) {
  return "\"" + (s.size() <= 64 ? s : s.substr(0, 64) + "...") + "\"";
}

}  // namespace steer
