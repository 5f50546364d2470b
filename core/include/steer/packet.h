// Packet transforms: pure inline functions over header bytes, testable without
// the EAL. The worker applies them to each mbuf's first bytes.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

namespace steer::packet {

constexpr size_t kEtherAddrLen = 6;
constexpr size_t kEtherHdrLen = 14;

// Echo: the frame goes back to whoever sent it, so its destination becomes the
// sender's address and its source ours (the address it was sent to).
// Two overlapping 8-byte loads and two stores instead of byte copies: the 12
// address bytes are all that is read or written.
inline void swap_macs(uint8_t* frame) {
  uint64_t lo, hi;  // lo = bytes 0-7, hi = bytes 4-11 (little-endian lanes)
  std::memcpy(&lo, frame, 8);
  std::memcpy(&hi, frame + 4, 8);
  if constexpr (std::endian::native == std::endian::little) {
    const uint64_t first = (hi >> 16) | (lo << 48);  // old 6-11, then old 0-1
    const uint32_t rest = uint32_t(lo >> 16);        // old 2-5
    std::memcpy(frame, &first, 8);
    std::memcpy(frame + 8, &rest, 4);
  } else {
    uint8_t tmp[kEtherAddrLen];
    std::memcpy(tmp, frame, kEtherAddrLen);
    std::memmove(frame, frame + kEtherAddrLen, kEtherAddrLen);
    std::memcpy(frame + kEtherAddrLen, tmp, kEtherAddrLen);
  }
}

constexpr size_t kSwapWindow = 16;  // swap_macs16 reads and writes this many bytes

// The same swap for a frame with at least 16 bytes the caller may read and
// write back (bytes 12-15 are stored unchanged): one 16-byte load, shuffle
// and store. It is the worker's per-packet form: about a cycle a packet below
// swap_macs on the echo path (BENCHMARKS.md, issue 12, step 11).
inline void swap_macs16(uint8_t* frame) {
#if defined(__SSSE3__)
  const __m128i order = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);
  __m128i* p = reinterpret_cast<__m128i*>(frame);
  _mm_storeu_si128(p, _mm_shuffle_epi8(_mm_loadu_si128(p), order));
#else
  swap_macs(frame);
#endif
}

// Forward: source = the output port's address, destination = the configured
// next hop when there is one (else left as received).
inline void set_macs(uint8_t* frame, const uint8_t* src, const uint8_t* dst_or_null) {
  if (dst_or_null) std::memcpy(frame, dst_or_null, kEtherAddrLen);
  std::memcpy(frame + kEtherAddrLen, src, kEtherAddrLen);
}

}  // namespace steer::packet
