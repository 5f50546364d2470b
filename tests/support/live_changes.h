// What both steering backends' EAL tests share: starting a deployment (with
// the tests' start options: a model NIC, slow workers),
// summing a queue counter, and the live changes they make. The mix: half RETA
// moves (16 random buckets), a quarter key flips, a quarter a rule pinning a
// quarter of the flows (udp_src 0x0100/0x0300) added and removed again.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "controller.h"
#include "steer/dataplane.h"
#include "steer/steering.h"

namespace steer::testing {

// Validates and starts `d`, failing the test with the first error.
inline void start_ok(Dataplane& dp, const Deployment& d, const StartOptions& options = {}) {
  auto v = validate(d);
  ASSERT_TRUE(v.empty()) << v[0].path << ": " << v[0].message;
  auto errs = dp.start(d, nullptr, options);
  ASSERT_TRUE(errs.empty()) << errs[0].path << ": " << errs[0].message;
}

// One queue counter summed over every queue.
inline uint64_t total(const StatsSnapshot& s, uint64_t QueueStats::*f) {
  uint64_t t = 0;
  for (const auto& q : s.queues) t += q.s.*f;
  return t;
}

// One dispatcher counter summed over every dispatcher.
inline uint64_t total_dispatch(const StatsSnapshot& s, uint64_t DispatchStats::*f) {
  uint64_t t = 0;
  for (const auto& d : s.dispatchers) t += d.*f;
  return t;
}

struct ChangeTotals {
  uint64_t held = 0, drained = 0, timeouts = 0;
};

// `n` changes on port p0, each checked to succeed and bump the generation.
inline void run_mixed_changes(Dataplane& dp, Controller& ctl, int n, uint32_t seed, ChangeTotals* t) {
  std::mt19937 rng(seed);
  const std::vector<uint8_t> key_a = default_rss_key();
  std::vector<uint8_t> key_b = key_a;
  std::reverse(key_b.begin(), key_b.end());
  const uint64_t gen0 = dp.generation("p0");
  for (int i = 0; i < n; ++i) {
    SteeringChange c;
    switch (i % 4) {
      case 0:
      case 1: {
        auto reta = dp.steering("p0")->rss.reta;
        for (int k = 0; k < 16; ++k) reta[rng() % reta.size()] = uint16_t(rng() % 2);
        c.reta = reta;
        break;
      }
      case 2:
        c.key = (i / 4) % 2 ? key_a : key_b;
        break;
      case 3:
        if ((i / 4) % 2) {
          FlowRule r{"pin", 10, {}, {}};
          r.match.udp_src = PortMatch{0x0100, 0x0300};  // no IP family: an IPv4 and an IPv6 flow in hardware
          r.action.queue = uint16_t(rng() % 2);
          c.add = {r};
        } else if (!dp.steering("p0")->flows.empty()) {
          c.remove = {"pin"};
        } else {
          c.key = key_a;
        }
        break;
    }
    ChangeReport rep;
    auto errs = ctl.change("p0", c, &rep);
    ASSERT_TRUE(errs.empty()) << i << ": " << errs[0].path << ": " << errs[0].message;
    ASSERT_EQ(rep.generation, gen0 + uint64_t(i + 1));
    t->held += rep.held;
    t->drained += rep.drained;
    t->timeouts += rep.timeouts;
  }
}

// The negative control's changes: every bucket of p0 moves 0 -> 1 -> 0 ...,
// `n` times, 5 ms apart, with the drain off.
inline void flip_all_buckets(Controller& ctl, int n) {
  for (int i = 0; i < n; ++i) {
    SteeringChange c;
    c.reta = reta_spread(128, {uint16_t((i + 1) % 2)});
    ChangeReport rep;
    ASSERT_TRUE(ctl.change("p0", c, &rep).empty());
    EXPECT_FALSE(rep.drained);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace steer::testing
