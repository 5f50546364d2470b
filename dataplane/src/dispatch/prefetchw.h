// PREFETCHW: a line brought into this CPU's cache owned for writing. (A read
// prefetch fetches it shared, and the write that follows needs a second
// transfer: measured slower than no prefetch at all; BENCHMARKS.md, issue 12
// step 3.) The dispatcher warms the mbufs its device takes next with it, and
// steer-bench-dispatch-cost's hand-off floor does the same.
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace steer {

#if defined(__x86_64__)
inline void prefetch_for_write(const void* p) {
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
}

inline bool cpu_has_prefetchw() {
  unsigned a, b, c, d;
  return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 8));  // 3DNowPrefetch
}
#else
inline void prefetch_for_write(const void* p) {
  __builtin_prefetch(p, 1, 3);
}

inline bool cpu_has_prefetchw() {
  return false;
}
#endif

}  // namespace steer
