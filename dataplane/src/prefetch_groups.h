// Work over a burst with its prefetches a group ahead: each group's
// prefetches are issued in one run, then the group before it is worked on.
// Measured on the echo path (BENCHMARKS.md, issue 12, step 11): prefetching
// packet i + 4 inside the per-packet loop cost ~1.5 cycles a packet more than
// this (a bound check and the next mbuf's load in the loop that carries the
// work's dependency chain), and issuing a whole burst's at once could ask for
// more lines than the core has fill buffers.
#pragma once

#include <algorithm>

namespace steer {

constexpr unsigned kPrefetchGroup = 8;

// Calls ahead(i) for every i < n, each group of kPrefetchGroup before work(j)
// for the group before it, and work(i) for every i < n in order.
template <class Ahead, class Work>
inline void in_prefetch_groups(unsigned n, Ahead&& ahead, Work&& work) {
  for (unsigned i = 0, first = std::min(n, kPrefetchGroup); i < first; ++i) ahead(i);
  for (unsigned base = 0; base < n; base += kPrefetchGroup) {
    const unsigned end = std::min(base + kPrefetchGroup, n);
    for (unsigned i = end, next = std::min(end + kPrefetchGroup, n); i < next; ++i) ahead(i);
    for (unsigned i = base; i < end; ++i) work(i);
  }
}

}  // namespace steer
