// Tier 1: packet transforms over plain bytes. No EAL.
#include "steer/packet.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>

#include "steer/counters.h"

namespace steer {
namespace {

TEST(Packet, SwapMacsSwapsOnlyTheAddresses) {
  std::array<uint8_t, 64> f{};
  std::iota(f.begin(), f.end(), uint8_t(0));
  auto orig = f;
  packet::swap_macs(f.data());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(f[size_t(i)], orig[size_t(6 + i)]);
    EXPECT_EQ(f[size_t(6 + i)], orig[size_t(i)]);
  }
  for (size_t i = 12; i < f.size(); ++i) EXPECT_EQ(f[i], orig[i]) << i;
  packet::swap_macs(f.data());
  EXPECT_EQ(f, orig);
}

// The 16-byte form against the scalar one on every byte pattern position:
// the addresses swap and bytes 12-15 (read and stored back) keep their values.
TEST(Packet, SwapMacs16AgreesWithSwapMacs) {
  std::array<uint8_t, 64> a{}, b{};
  for (unsigned seed = 0; seed < 64; ++seed) {
    for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(i * 37 + seed * 101 + (i >> 3));
    b = a;
    const auto orig = a;
    packet::swap_macs(a.data() + seed % 8);
    packet::swap_macs16(b.data() + seed % 8);
    EXPECT_EQ(a, b) << seed;
    EXPECT_NE(b, orig) << seed;
  }
}

TEST(Packet, SetMacs) {
  std::array<uint8_t, 20> f{};
  f.fill(0xee);
  const uint8_t src[6] = {2, 0, 0, 0, 0, 1}, dst[6] = {2, 0, 0, 0, 0, 2};
  packet::set_macs(f.data(), src, nullptr);
  EXPECT_EQ(f[0], 0xee);  // destination kept
  EXPECT_EQ(f[11], 1);
  packet::set_macs(f.data(), src, dst);
  EXPECT_EQ(f[5], 2);
  EXPECT_EQ(f[12], 0xee);  // ethertype untouched
}

TEST(Counters, BurstBuckets) {
  EXPECT_EQ(burst_bucket(0), 0u);
  EXPECT_EQ(burst_bucket(1), 1u);
  EXPECT_EQ(burst_bucket(3), 2u);
  EXPECT_EQ(burst_bucket(32), 6u);
  EXPECT_EQ(burst_bucket(511), 9u);
  EXPECT_EQ(burst_bucket(512), 10u);
  EXPECT_EQ(burst_bucket(100000), kBurstBuckets - 1);
}

}  // namespace
}  // namespace steer
