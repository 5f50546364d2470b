// Which of a port's queues its peer backs with a ring.
//
// A memif connection negotiates its ring counts: the client opens at most as
// many as the server offers, and may open fewer. Debian 12's DPDK 22.11 memif
// PMD still lets bursts run on the queues beyond the negotiated count, and
// those queues point at ring 0 of the shared region (the other direction's
// ring): a TX there overwrites packets the peer has not yet read and moves
// its ring's tail, so the peer sees duplicates and steerd's own RX loses and
// reorders. ethdev has no call that reports the negotiated count, so steerd
// reads it where the PMD keeps it: the `run` counts next to the configured
// `cfg` counts in the port's private data, found by matching the values
// steerd itself configured (ring size, queue counts, buffer size). Every step
// there is checked against what the public API says, and the match must be
// unique, or steerd trusts nothing and uses queue 0 only in each direction.
//
// The lcores read the live count before every burst on such a port (one byte
// load); the PMD sets it before it marks the connection up and zeroes it only
// after the device guard's grace period (device_guard.h), so a burst never
// runs on a queue that has no ring behind it.
#pragma once

#include <cstdint>
#include <string>

namespace steer {

struct PeerQueues {
  // Live counts of the queues the peer backs, or null when every configured
  // queue is backed (every PMD but memif). Zero while disconnected.
  const uint8_t* rx = nullptr;
  const uint8_t* tx = nullptr;
  std::string how;  // how the counts were found, for the log
};

// After rte_eth_dev_start: the port's backed-queue counts.
PeerQueues find_peer_queues(uint16_t port_id, uint16_t nb_rx, uint16_t nb_tx);

// The live count behind `p` (a PeerQueues pointer); kAllBacked when null.
constexpr unsigned kAllBacked = 0xffff;
inline unsigned backed(const uint8_t* p) {
  return p ? __atomic_load_n(p, __ATOMIC_RELAXED) : kAllBacked;
}

}  // namespace steer
