// Flows and frames for steer-trafgen: pure functions over bytes, no DPDK.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace steer::trafgen {

struct FlowTuple {
  bool ipv6 = false;
  uint8_t proto = 17;  // 17 UDP, 6 TCP
  uint8_t src[16] = {};
  uint8_t dst[16] = {};
  uint16_t sport = 0;
  uint16_t dport = 0;
};

enum class FlowMode : uint8_t { Sequential, Random };

// n flows: sequential (10.0.x.y -> 10.1.0.1, ports 1024+i -> 5000, or
// 2001:db8::/64 for IPv6) or random addresses and ports from `seed`.
std::vector<FlowTuple> make_flows(uint32_t n, FlowMode mode, uint64_t seed, uint8_t proto, bool ipv6);

// The next value of the splitmix64 sequence whose state is `s` (advanced):
// make_flows' random mode, and the benches' scattered addresses.
inline uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// CSV, one flow a line: src,dst,sport,dport[,udp|tcp]; '#' starts a comment.
// On error returns nullopt and sets *why to "line N: ...".
std::optional<std::vector<FlowTuple>> parse_flows_csv(std::istream& in, std::string* why);

size_t header_len(const FlowTuple& f);     // Ethernet + IP + L4 header
size_t min_frame_len(const FlowTuple& f);  // header + evidence

// Writes Ethernet, IP and L4 headers for a frame of `frame_len` bytes
// (without FCS). IPv4 header checksum computed; L4 checksums left 0 (the
// payload changes per packet; DPDK peers do not check them).
void build_headers(uint8_t* frame, const FlowTuple& f, uint16_t frame_len, const uint8_t src_mac[6],
                   const uint8_t dst_mac[6]);

// The frame sizes to cycle through: one fixed size, or simple IMIX (7 x 64,
// 4 x 570, 1 x 1518 interleaved), each raised to `min_len` when smaller.
std::vector<uint16_t> size_pattern(bool imix, uint16_t size, uint16_t min_len);

std::string format_tuple(const FlowTuple& f);

}  // namespace steer::trafgen
