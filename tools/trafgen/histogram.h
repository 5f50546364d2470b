// A log-linear latency histogram (HDR-style): values below 2^kSubBits are
// exact, above that each power of two is split into 2^kSubBits buckets, so
// any recorded value is off by at most 1/64 (1.6%). Fixed size, no
// allocation after construction, one writer.
#pragma once

#include <array>
#include <cstdint>

namespace steer::trafgen {

class Histogram {
 public:
  static constexpr unsigned kSubBits = 6;
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kBuckets = (64 - kSubBits + 1) * kSub;

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++total_;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
    sum_ += v;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return total_ ? max_ : 0; }
  uint64_t min() const { return total_ ? min_ : 0; }
  double mean() const { return total_ ? double(sum_) / double(total_) : 0.0; }

  // The smallest bucket upper bound with at least q of the values at or below
  // it (q in [0, 1]); never above max(). 0 when empty.
  uint64_t percentile(double q) const {
    if (!total_) return 0;
    uint64_t want = uint64_t(q * double(total_) + 0.5);
    if (want < 1) want = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= want) {
        uint64_t hi = upper(i);
        return hi < max_ ? hi : max_;
      }
    }
    return max_;
  }

  static unsigned index(uint64_t v) {
    if (v < kSub) return unsigned(v);
    unsigned e = 63u - unsigned(__builtin_clzll(v));  // e >= kSubBits
    unsigned shift = e - kSubBits;
    return (shift + 1) * kSub + unsigned((v >> shift) - kSub);
  }
  static uint64_t upper(unsigned i) {
    if (i < kSub) return i;
    unsigned shift = i / kSub - 1;
    uint64_t base = uint64_t(kSub + i % kSub) << shift;
    return base + ((uint64_t(1) << shift) - 1);
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0, max_ = 0, min_ = UINT64_MAX, sum_ = 0;
};

}  // namespace steer::trafgen
