// The evidence every test packet carries, shared by steer-trafgen (writes it
// at TX, checks it at RX) and steerd's ordering audit (reads flow and
// sequence at TX). Pure inline functions over bytes; no DPDK.
//
// Layout, at the start of the L4 payload (after the UDP or TCP header), all
// fields little-endian:
//
//   offset  size  field
//   0       4     magic 0x31525453 ("STR1" in memory)
//   4       4     flow id
//   8       4     per-flow sequence number (from 0, wraps at 2^32)
//   12      8     TX timestamp, TSC cycles of the sending host
//
// Offsets from the start of the frame (no VLAN tag):
//
//   frame          L4 payload   flow_offset   seq_offset   minimum frame
//   IPv4 + UDP     42           46            50           62
//   IPv4 + TCP     54           58            62           74
//   IPv6 + UDP     62           66            70           82
//   IPv6 + TCP     74           78            82           94
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace steer::evidence {

constexpr uint32_t kMagic = 0x31525453;
constexpr size_t kMagicOffset = 0;
constexpr size_t kFlowOffset = 4;
constexpr size_t kSeqOffset = 8;
constexpr size_t kTscOffset = 12;
constexpr size_t kSize = 20;

struct Fields {
  uint32_t flow = 0;
  uint32_t seq = 0;
  uint64_t tsc = 0;
};

inline void write(uint8_t* p, uint32_t flow, uint32_t seq, uint64_t tsc) {
  const uint32_t magic = kMagic;
  std::memcpy(p + kMagicOffset, &magic, 4);
  std::memcpy(p + kFlowOffset, &flow, 4);
  std::memcpy(p + kSeqOffset, &seq, 4);
  std::memcpy(p + kTscOffset, &tsc, 8);
}

// False when the bytes do not start with the magic.
inline bool read(const uint8_t* p, Fields& f) {
  uint32_t magic;
  std::memcpy(&magic, p + kMagicOffset, 4);
  if (magic != kMagic) return false;
  std::memcpy(&f.flow, p + kFlowOffset, 4);
  std::memcpy(&f.seq, p + kSeqOffset, 4);
  std::memcpy(&f.tsc, p + kTscOffset, 8);
  return true;
}

// Offset of the L4 payload in an Ethernet frame (one optional 802.1Q tag,
// IPv4 with options, IPv6 without extension headers, UDP or TCP), or 0 when
// the frame is something else or too short to hold the evidence.
inline size_t l4_payload_offset(const uint8_t* f, size_t len) {
  size_t off = 12;
  if (len < off + 2) return 0;
  uint16_t type = uint16_t(f[off] << 8 | f[off + 1]);
  off += 2;
  if (type == 0x8100) {
    if (len < off + 4) return 0;
    type = uint16_t(f[off + 2] << 8 | f[off + 3]);
    off += 4;
  }
  uint8_t proto;
  if (type == 0x0800) {
    if (len < off + 20) return 0;
    proto = f[off + 9];
    off += size_t(f[off] & 0x0f) * 4;
  } else if (type == 0x86dd) {
    if (len < off + 40) return 0;
    proto = f[off + 6];
    off += 40;
  } else {
    return 0;
  }
  if (proto == 17)
    off += 8;
  else if (proto == 6) {
    if (len < off + 20) return 0;
    off += size_t(f[off + 12] >> 4) * 4;
  } else {
    return 0;
  }
  return len >= off + kSize ? off : 0;
}

}  // namespace steer::evidence
