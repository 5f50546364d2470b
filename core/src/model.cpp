#include "steer/model.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace steer {

const char* to_string(Action a) {
  switch (a) {
    case Action::Echo:
      return "echo";
    case Action::Forward:
      return "forward";
    case Action::Drop:
      return "drop";
  }
  return "?";
}

const char* to_string(PollMode p) {
  return p == PollMode::Busy ? "busy" : "adaptive";
}
const char* to_string(NumaPolicy n) {
  return n == NumaPolicy::Warn ? "warn" : "strict";
}

const char* to_string(SteeringMode m) {
  return m == SteeringMode::Auto ? "auto" : m == SteeringMode::Hardware ? "hardware" : "software";
}

std::vector<uint8_t> default_rss_key() {
  return {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
          0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
          0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
}

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

bool parse_prefix(const std::string& t, size_t bytes, uint8_t* addr, uint8_t* len) {
  const size_t slash = t.find('/');
  uint8_t b[16] = {};
  if (inet_pton(bytes == 4 ? AF_INET : AF_INET6, t.substr(0, slash).c_str(), b) != 1) return false;
  unsigned long l = bytes * 8;
  if (slash != std::string::npos) {
    char* end = nullptr;
    l = std::strtoul(t.c_str() + slash + 1, &end, 10);
    if (slash + 1 == t.size() || *end || l > bytes * 8) return false;
  }
  std::memcpy(addr, b, bytes);
  *len = uint8_t(l);
  return true;
}

std::string format_queue(const Deployment& d, QueueId q) {
  std::string port = q.port < d.ports.size() ? d.ports[q.port].name : "port#" + std::to_string(q.port);
  return port + ":" + std::to_string(q.queue);
}

}  // namespace steer
