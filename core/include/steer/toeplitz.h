// The Toeplitz hash NICs use for RSS, in software. For every input byte
// position and value, the 32-bit contribution is precomputed from the key, so
// hashing is one table lookup and XOR per input byte. Pure; no DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace steer {

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
