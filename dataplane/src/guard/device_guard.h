// The device guard: keeps a PMD's control thread from unmapping or closing
// what an lcore is using inside a burst.
//
// Why it exists: Debian 12's DPDK 22.11 memif PMD tears a connection down in
// the EAL interrupt thread (memif_disconnect: clear the CONNECTED flag, close
// the queue and control fds, munmap the shared regions, free them) with no
// synchronisation against the lcores polling the port. An lcore that checked
// the flag a moment earlier is still reading the ring when the region goes:
// SIGSEGV in librte_net_memif.so. The flag narrows the window; nothing closes
// it. See README "Robustness".
//
// How it closes it: quiescent-state based reclamation, with the teardown's
// own munmap() and close() calls as the writer's synchronisation points.
// steerd's executable defines munmap() and close() (device_guard.cpp); called
// on the EAL interrupt thread, they first wait until every lcore that polls
// devices has passed a quiescent point (the end of a loop iteration) after
// the call began. memif clears CONNECTED before its first close or munmap, and
// an lcore's quiescent point loads the guard's token (acquire), so every burst
// that starts after the grace period sees the flag cleared and returns 0, and
// every burst that started before it has finished. Only then is memory
// unmapped or an fd closed (and so never reused under a burst).
//
// Lcores: online() once before their first burst, quiescent() after each
// loop iteration (one load and one store to the lcore's own line), offline()
// when they stop. A sleeping lcore (adaptive poll) delays a grace period by
// at most its sleep.
#pragma once

#include <atomic>
#include <cstdint>

namespace steer::device_guard {

constexpr unsigned kSlots = 1024;  // >= RTE_MAX_LCORE
constexpr uint64_t kOffline = UINT64_MAX;

struct alignas(64) Slot {
  std::atomic<uint64_t> seen{kOffline};  // its lcore: rw (release); the waiting thread: ro (acquire)
};

inline std::atomic<uint64_t> g_token{0};  // bumped by each grace period
inline Slot g_slots[kSlots];

// This lcore will touch devices from now on.
void online(unsigned lcore);

// This lcore holds nothing from a device: no ring pointer, no descriptor.
inline void quiescent(unsigned lcore) {
  g_slots[lcore].seen.store(g_token.load(std::memory_order_acquire), std::memory_order_release);
}

// This lcore stopped touching devices.
inline void offline(unsigned lcore) {
  if (lcore < kSlots) g_slots[lcore].seen.store(kOffline, std::memory_order_release);
}

// Waits until every online lcore passed a quiescent point after the call
// began. Not from an lcore that is itself online.
void synchronize();

// Grace periods waited on the EAL interrupt thread so far, and the longest
// one (nanoseconds): the evidence that the guard engaged.
struct Stats {
  uint64_t waits = 0, longest_ns = 0;
};
Stats stats();

}  // namespace steer::device_guard
