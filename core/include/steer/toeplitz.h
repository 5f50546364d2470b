// The Toeplitz hash NICs use for RSS, in software, in two forms. The table
// form: for every input byte position and value, the 32-bit contribution is
// precomputed from the key, so hashing is one table lookup and XOR per input
// byte. The GFNI form (x86-64 CPUs with GFNI, AVX-512BW and AVX-512VBMI,
// checked at run time): one GF(2) affine transform per 8 input bytes. Pure;
// no DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace steer {

// The GFNI form. Byte k of the hash (k = 0 the most significant) takes from
// input byte p the 8 bits of key window 8(p + k) .. 8(p + k) + 14: a GF(2)
// 8x8 matrix that depends only on m = p + k. So matrix m goes in 64-bit lane
// m, input byte m - k is placed at byte k of that lane (a byte permutation),
// one GF2P8AFFINEQB multiplies every byte by its lane's matrix, and XOR
// across the lanes leaves the four hash bytes. 36 input bytes (IPv6 with
// ports) span lanes 0-38: five 512-bit registers.
class ToeplitzGfni {
 public:
  static constexpr size_t kLanes = 40;
  // This build is x86-64 and the CPU has the instructions.
  static bool supported();
  // supported(), and STEER_TOEPLITZ=table is not set in the environment
  // (the operator's way back to the table form).
  static bool usable();
  ToeplitzGfni() = default;
  explicit ToeplitzGfni(const std::vector<uint8_t>& key);
  // Only when usable(); `len` at most 36.
  uint32_t hash(const uint8_t* input, size_t len) const;
  // out[i] = hash(tuples + i * kStride, len[i]) for i < n: one call for a
  // burst, so the matrices and byte placements stay in registers across it.
  static constexpr size_t kStride = 64;
  void hash_burst(const uint8_t* tuples, const size_t* len, size_t n, uint32_t* out) const;

 private:
  alignas(64) uint64_t matrix_[kLanes] = {};
};

class ToeplitzTable {
 public:
  static constexpr size_t kMaxInput = 36;  // IPv6 addresses + ports

  ToeplitzTable() = default;
  // `key` must be at least kMaxInput + 4 bytes (40 or 52 in practice).
  explicit ToeplitzTable(const std::vector<uint8_t>& key) {
    table_.assign(kMaxInput * 256, 0);
    for (size_t pos = 0; pos < kMaxInput; ++pos)
      for (unsigned bit = 0; bit < 8; ++bit) {
        // The 32-bit window of the key starting at input bit pos*8+bit.
        const size_t start = pos * 8 + bit;
        uint32_t window = 0;
        for (unsigned k = 0; k < 32; ++k) {
          const size_t b = start + k;
          const uint32_t keybit = b / 8 < key.size() ? (key[b / 8] >> (7 - b % 8)) & 1u : 0u;
          window = (window << 1) | keybit;
        }
        for (unsigned v = 0; v < 256; ++v)
          if (v & (0x80u >> bit)) table_[pos * 256 + v] ^= window;
      }
  }

  uint32_t hash(const uint8_t* input, size_t len) const {
    uint32_t h = 0;
    for (size_t i = 0; i < len; ++i) h ^= table_[i * 256 + input[i]];
    return h;
  }

 private:
  std::vector<uint32_t> table_;
};

}  // namespace steer
