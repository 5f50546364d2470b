#include "flows.h"

#include <arpa/inet.h>

#include <cstring>
#include <sstream>

namespace steer::trafgen {
namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

uint16_t ipv4_checksum(const uint8_t* h) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::vector<FlowTuple> make_flows(uint32_t n, FlowMode mode, uint64_t seed, uint8_t proto, bool ipv6) {
  std::vector<FlowTuple> flows(n);
  uint64_t rng = seed;
  for (uint32_t i = 0; i < n; ++i) {
    FlowTuple& f = flows[i];
    f.ipv6 = ipv6;
    f.proto = proto;
    if (mode == FlowMode::Sequential) {
      if (ipv6) {
        const uint8_t src[16] = {0x20,
                                 0x01,
                                 0x0d,
                                 0xb8,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 uint8_t(i >> 24),
                                 uint8_t(i >> 16),
                                 uint8_t(i >> 8),
                                 uint8_t(i + 1)};
        const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        std::memcpy(f.src, src, 16);
        std::memcpy(f.dst, dst, 16);
      } else {
        const uint32_t s = 0x0a000000u + i + 1;  // 10.0.0.1 + i
        const uint8_t src[4] = {uint8_t(s >> 24), uint8_t(s >> 16), uint8_t(s >> 8), uint8_t(s)};
        const uint8_t dst[4] = {10, 1, 0, 1};
        std::memcpy(f.src, src, 4);
        std::memcpy(f.dst, dst, 4);
      }
      f.sport = uint16_t(1024 + i % 64000);
      f.dport = 5000;
    } else {
      for (int k = 0; k < 16; k += 8) {
        uint64_t a = splitmix64(rng), b = splitmix64(rng);
        std::memcpy(f.src + k, &a, 8);
        std::memcpy(f.dst + k, &b, 8);
      }
      if (!ipv6) {  // keep IPv4 addresses unicast and out of 0/8 and 127/8
        f.src[0] = uint8_t(1 + f.src[0] % 223);
        f.dst[0] = uint8_t(1 + f.dst[0] % 223);
        if (f.src[0] == 127) f.src[0] = 126;
        if (f.dst[0] == 127) f.dst[0] = 126;
      } else {
        f.src[0] = 0x20;
        f.dst[0] = 0x20;
      }
      uint64_t p = splitmix64(rng);
      f.sport = uint16_t(1024 + p % 64511);
      f.dport = uint16_t(1024 + (p >> 32) % 64511);
    }
  }
  return flows;
}

std::optional<std::vector<FlowTuple>> parse_flows_csv(std::istream& in, std::string* why) {
  std::vector<FlowTuple> flows;
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    if (trim(line).empty()) continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cols.push_back(trim(c));
    auto bad = [&](const std::string& m) {
      *why = "line " + std::to_string(no) + ": " + m;
      return std::nullopt;
    };
    if (cols.size() < 4 || cols.size() > 5)
      return bad("expected src,dst,sport,dport[,udp|tcp], got " + std::to_string(cols.size()) + " fields");
    FlowTuple f;
    f.ipv6 = cols[0].find(':') != std::string::npos;
    int af = f.ipv6 ? AF_INET6 : AF_INET;
    if (inet_pton(af, cols[0].c_str(), f.src) != 1) return bad("\"" + cols[0] + "\" is not an IP address");
    if (inet_pton(af, cols[1].c_str(), f.dst) != 1)
      return bad("\"" + cols[1] + "\" is not an address of the same family as the source");
    for (int k = 2; k < 4; ++k) {
      char* end = nullptr;
      unsigned long v = std::strtoul(cols[size_t(k)].c_str(), &end, 10);
      if (cols[size_t(k)].empty() || *end || v > 65535)
        return bad("\"" + cols[size_t(k)] + "\" is not a port (0-65535)");
      (k == 2 ? f.sport : f.dport) = uint16_t(v);
    }
    if (cols.size() == 5) {
      if (cols[4] == "udp")
        f.proto = 17;
      else if (cols[4] == "tcp")
        f.proto = 6;
      else
        return bad("\"" + cols[4] + "\" is not udp or tcp");
    }
    flows.push_back(f);
  }
  if (flows.empty()) {
    *why = "no flows in the file";
    return std::nullopt;
  }
  return flows;
}

size_t header_len(const FlowTuple& f) {
  return 14 + (f.ipv6 ? 40 : 20) + (f.proto == 6 ? 20 : 8);
}
size_t min_frame_len(const FlowTuple& f) {
  return header_len(f) + 20;
}

void build_headers(uint8_t* p, const FlowTuple& f, uint16_t frame_len, const uint8_t src_mac[6],
                   const uint8_t dst_mac[6]) {
  std::memcpy(p, dst_mac, 6);
  std::memcpy(p + 6, src_mac, 6);
  put16(p + 12, f.ipv6 ? 0x86dd : 0x0800);
  uint8_t* ip = p + 14;
  const size_t iplen = f.ipv6 ? 40 : 20;
  const uint16_t l4len = uint16_t(frame_len - 14 - iplen);
  if (f.ipv6) {
    std::memset(ip, 0, 40);
    ip[0] = 0x60;
    put16(ip + 4, l4len);
    ip[6] = f.proto;
    ip[7] = 64;
    std::memcpy(ip + 8, f.src, 16);
    std::memcpy(ip + 24, f.dst, 16);
  } else {
    std::memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, uint16_t(frame_len - 14));
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = f.proto;
    std::memcpy(ip + 12, f.src, 4);
    std::memcpy(ip + 16, f.dst, 4);
    put16(ip + 10, ipv4_checksum(ip));
  }
  uint8_t* l4 = ip + iplen;
  put16(l4, f.sport);
  put16(l4 + 2, f.dport);
  if (f.proto == 17) {
    put16(l4 + 4, l4len);
    put16(l4 + 6, 0);
  } else {
    std::memset(l4 + 4, 0, 16);
    l4[12] = 5 << 4;  // data offset: 20 bytes
    l4[13] = 0x02;    // SYN
    put16(l4 + 14, 65535);
  }
}

std::vector<uint16_t> size_pattern(bool imix, uint16_t size, uint16_t min_len) {
  auto fit = [&](uint16_t s) { return s < min_len ? min_len : s; };
  if (!imix) return {fit(size)};
  std::vector<uint16_t> p;
  for (uint16_t s : {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570}) p.push_back(fit(uint16_t(s)));
  return p;
}

std::string format_tuple(const FlowTuple& f) {
  char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
  inet_ntop(f.ipv6 ? AF_INET6 : AF_INET, f.src, s, sizeof s);
  inet_ntop(f.ipv6 ? AF_INET6 : AF_INET, f.dst, d, sizeof d);
  return std::string(f.proto == 6 ? "tcp " : "udp ") + s + ":" + std::to_string(f.sport) + " -> " + d + ":" +
         std::to_string(f.dport);
}

}  // namespace steer::trafgen
