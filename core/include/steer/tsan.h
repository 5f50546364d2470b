// Happens-before edges ThreadSanitizer cannot see for itself. DPDK is not
// built with TSan, so its rings, mempools, PMD queues and lcore launch/join
// synchronise threads invisibly: an mbuf written by one lcore and read by
// the next after an rte_ring hand-off would be reported as a race. Each
// hand-off point in our code says what it hands over: release() by the
// side that gives an object away (enqueue, TX, free, launch, lcore exit),
// acquire() by the side that takes it (dequeue, RX, alloc, lcore start,
// join). Per object, so nothing else is synchronised by accident. No code
// at all outside a TSan build.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define STEER_TSAN_ON 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STEER_TSAN_ON 1
#endif
#endif

#ifdef STEER_TSAN_ON
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace steer::tsan {

#ifdef STEER_TSAN_ON
inline void acquire(const void* p) {
  __tsan_acquire(const_cast<void*>(p));
}
inline void release(const void* p) {
  __tsan_release(const_cast<void*>(p));
}
#else
inline void acquire(const void*) {}
inline void release(const void*) {}
#endif

template <class T>
inline void acquire_all(T* const* objs, unsigned n) {
#ifdef STEER_TSAN_ON
  for (unsigned i = 0; i < n; ++i) acquire(objs[i]);
#else
  (void)objs, (void)n;
#endif
}

template <class T>
inline void release_all(T* const* objs, unsigned n) {
#ifdef STEER_TSAN_ON
  for (unsigned i = 0; i < n; ++i) release(objs[i]);
#else
  (void)objs, (void)n;
#endif
}

}  // namespace steer::tsan
