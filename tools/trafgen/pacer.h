// TX pacing: how many packets may have been sent by a given TSC time, for a
// base rate with optional periodic bursts (rate x `burst_x` for `burst_len`
// out of every `burst_every`). Catching up after the lcore was descheduled is
// allowed, so the count over a run is exact to within one burst.
#pragma once

#include <cstdint>

namespace steer::trafgen {

struct Pacer {
  double pps = 0;  // 0: as fast as possible
  uint64_t tsc_hz = 1;
  uint64_t start = 0;        // TSC at the first packet
  uint64_t burst_every = 0;  // TSC cycles; 0: no bursts
  uint64_t burst_len = 0;
  double burst_x = 1.0;

  bool unlimited() const { return pps <= 0; }

  // Packets allowed between start and now.
  uint64_t allowed(uint64_t now) const {
    if (now <= start) return 0;
    const double t = double(now - start);
    double cycles_at_base = t;  // burst windows count burst_x times
    if (burst_every && burst_len) {
      const uint64_t periods = (now - start) / burst_every;
      const uint64_t in = (now - start) % burst_every;
      const double extra = (burst_x - 1.0) * double(burst_len);
      cycles_at_base += double(periods) * extra + (burst_x - 1.0) * double(in < burst_len ? in : burst_len);
    }
    return uint64_t(cycles_at_base * pps / double(tsc_hz));
  }
};

}  // namespace steer::trafgen
