// The hand-off floor of steer-bench-dispatch-cost: a device's packets moved
// to another CPU and freed there, nothing classified (handoff_floor.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace steer::bench {

struct FloorResult {
  double cycles = 0, mpps = 0;  // TSC cycles per packet on the receiving CPU
  uint64_t rx = 0, ring_full = 0;
  std::string error;
};

// `device`: a vdev string the EAL can probe (its name before the first
// comma must be unique per call); `mbufs`: the mempool's size. Needs EAL
// lcores 1 and 2 idle. Cleans up the port, rings and pool it made.
FloorResult handoff_floor(const std::string& device, unsigned mbufs, double seconds, int instance);

}  // namespace steer::bench
