// The device guard (device_guard.h): the grace period, and the munmap() and
// close() that wait for it on the EAL interrupt thread.
#include "device_guard.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_interrupts.h>
#include <rte_log.h>
#include <rte_pause.h>

#include <chrono>
#include <ctime>

namespace steer::device_guard {
namespace {

std::atomic<uint64_t> g_waits{0}, g_longest_ns{0};

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// munmap() and close() run on every thread of the process; only the EAL
// interrupt thread (where PMDs handle their control events) waits.
[[maybe_unused]] void before_release() {
  if (rte_thread_is_intr()) synchronize();
}

}  // namespace

// Pairs with the fetch_add in synchronize(): either the waiter sees this
// lcore online, or this lcore's first burst sees what the waiter changed
// before it began (a cleared CONNECTED flag). The PMD reads that flag with a
// plain load, so this needs a full fence after the store.
void online(unsigned lcore) {
  if (lcore >= kSlots) return;  // not an EAL thread: unguarded (never the case for an lcore loop)
#if defined(__SANITIZE_THREAD__)
  // TSan does not model fences; a seq_cst exchange is the same full barrier on x86.
  (void)g_slots[lcore].seen.exchange(g_token.load(std::memory_order_acquire), std::memory_order_seq_cst);
#else
  g_slots[lcore].seen.store(g_token.load(std::memory_order_acquire), std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

void synchronize() {
  const uint64_t start = now_ns();
  const uint64_t t = g_token.fetch_add(1, std::memory_order_seq_cst) + 1;
  uint64_t warned_at = start;
  for (Slot& s : g_slots) {
    unsigned spins = 0;
    while (s.seen.load(std::memory_order_acquire) < t) {
      if (++spins < 256) {
        rte_pause();
        continue;
      }
      timespec ts{0, 5000};
      nanosleep(&ts, nullptr);
      const uint64_t now = now_ns();
      if (now - warned_at > 1000000000u) {  // not from an lcore: the interrupt thread
        RTE_LOG(WARNING, USER1,
                "device guard: an lcore has not passed a quiescent point for %.1f s; "
                "a device teardown is waiting for it\n",
                double(now - start) / 1e9);
        warned_at = now;
      }
    }
  }
  const uint64_t took = now_ns() - start;
  g_waits.fetch_add(1, std::memory_order_relaxed);
  uint64_t prev = g_longest_ns.load(std::memory_order_relaxed);
  while (took > prev && !g_longest_ns.compare_exchange_weak(prev, took, std::memory_order_relaxed)) {
  }
}

Stats stats() {
  return {g_waits.load(std::memory_order_relaxed), g_longest_ns.load(std::memory_order_relaxed)};
}

}  // namespace steer::device_guard

#ifndef STEER_NO_INTERPOSE  // tests/sanitizers builds the grace period alone: TSan must keep its own interceptors
// The interposed calls. The executable exports them (see the link options in
// dataplane/CMakeLists.txt), so the PMDs' calls through their PLT land here;
// glibc's own internal calls do not. They go on to the next definition (a
// sanitizer's interceptor, or glibc), or make the system call if there is
// none.
namespace {

template <typename F>
F next_definition(std::atomic<F>& cache, const char* name) {
  F f = cache.load(std::memory_order_acquire);
  if (!f) {
    f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
    cache.store(f, std::memory_order_release);
  }
  return f;
}

using MunmapFn = int (*)(void*, size_t);
using CloseFn = int (*)(int);
std::atomic<MunmapFn> g_next_munmap{nullptr};
std::atomic<CloseFn> g_next_close{nullptr};

}  // namespace

extern "C" {

int munmap(void* addr, size_t len) {
  steer::device_guard::before_release();
  if (MunmapFn f = next_definition(g_next_munmap, "munmap")) return f(addr, len);
  return int(syscall(SYS_munmap, addr, len));
}

int close(int fd) {
  steer::device_guard::before_release();
  if (CloseFn f = next_definition(g_next_close, "close")) return f(fd);
  return int(syscall(SYS_close, fd));
}

}  // extern "C"
#endif  // STEER_NO_INTERPOSE
