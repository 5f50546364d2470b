// Warming the mbufs a device takes next, for the dispatcher and for
// steer-bench-dispatch-cost's hand-off floor (which must warm exactly as the
// dispatcher does to be its floor).
//
// The device takes its next mbufs from the top of the receiving lcore's
// mempool cache (LIFO). On a software-steered port they came back from the
// workers' CPUs, which read their first cache line (and, after an echo,
// wrote their data); the device's first write to each line then waits for a
// transfer from the other CPU, one mbuf after another. Asking for them, a
// burst ahead and one per packet handled, overlaps those transfers with this
// burst's work. Reads only the cache's array.
//
// PREFETCHW brings a line in owned for writing. (A read prefetch fetches it
// shared, and the device's write then needs a second transfer: measured
// slower than no prefetch at all; BENCHMARKS.md, issue 12 step 3.)
#pragma once

#include <rte_mbuf.h>
#include <rte_mempool.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cstdint>

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

// One lcore's view of a pool's next mbufs. Made on the lcore that receives
// (the cache is per lcore); empty, and warming nothing, without PREFETCHW.
class NextMbufs {
 public:
  NextMbufs() = default;
  explicit NextMbufs(rte_mempool* pool)
      : cache_(pool && cpu_has_prefetchw() ? rte_mempool_default_cache(pool, rte_lcore_id()) : nullptr),
        data_at_(pool ? uint32_t(sizeof(rte_mbuf) + rte_pktmbuf_priv_size(pool) + RTE_PKTMBUF_HEADROOM) : 0) {}
  // The next `n` at most (a device takes at most a burst), to warm one by one.
  struct Burst {
    void* const* objs = nullptr;
    uint16_t n = 0;
  };
  Burst next(uint16_t n) const {
    if (!cache_) return {};
    n = uint16_t(std::min<uint32_t>(cache_->len, n));
    return {cache_->objs + cache_->len - n, n};
  }
  // The lines a device writes on taking `obj`: the mbuf's two and its data's first.
  void warm(const void* obj) const {
    const char* m = static_cast<const char*>(obj);
    prefetch_for_write(m);
    prefetch_for_write(m + RTE_CACHE_LINE_SIZE);
    prefetch_for_write(m + data_at_);
  }

 private:
  const rte_mempool_cache* cache_ = nullptr;
  uint32_t data_at_ = 0;  // offset from an mbuf to where a device writes its frame
};

}  // namespace steer
