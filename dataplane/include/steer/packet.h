// Packet transforms: pure inline functions over header bytes, testable without
// the EAL. The worker applies them to each mbuf's first bytes.
#pragma once

#include <cstdint>
#include <cstring>

namespace steer::packet {

constexpr size_t kEtherAddrLen = 6;
constexpr size_t kEtherHdrLen = 14;

// Echo: the frame goes back to whoever sent it, so its destination becomes the
// sender's address and its source ours (the address it was sent to).
inline void swap_macs(uint8_t* frame) {
  uint8_t tmp[kEtherAddrLen];
  std::memcpy(tmp, frame, kEtherAddrLen);
  std::memmove(frame, frame + kEtherAddrLen, kEtherAddrLen);
  std::memcpy(frame + kEtherAddrLen, tmp, kEtherAddrLen);
}

// Forward: source = the output port's address, destination = the configured
// next hop when there is one (else left as received).
inline void set_macs(uint8_t* frame, const uint8_t* src, const uint8_t* dst_or_null) {
  if (dst_or_null) std::memcpy(frame, dst_or_null, kEtherAddrLen);
  std::memcpy(frame + kEtherAddrLen, src, kEtherAddrLen);
}

}  // namespace steer::packet
