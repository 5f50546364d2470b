// Per-flow order and loss accounting at the receiver. One writer (the RX
// lcore); no allocation after construction.
//
// A packet is a duplicate when its sequence number was already received
// (remembered for the last kWindow numbers below the highest), reordered when
// it is new but lower than the highest seen for its flow. Loss is counted at
// the end: what the sender sent on a flow minus the distinct numbers received.
#pragma once

#include <cstdint>
#include <vector>

namespace steer::trafgen {

class Checker {
 public:
  static constexpr uint32_t kWindow = 256;
  enum class Verdict : uint8_t { InOrder, Reordered, Duplicate, UnknownFlow };

  explicit Checker(uint32_t flows) : flows_(flows) {}

  Verdict on_packet(uint32_t flow, uint32_t seq);

  uint64_t received() const { return received_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t duplicated() const { return duplicated_; }
  uint64_t unknown() const { return unknown_; }
  uint64_t unique(uint32_t flow) const { return flows_[flow].unique; }
  uint32_t flows() const { return uint32_t(flows_.size()); }

  struct Loss {
    uint64_t lost = 0;
    uint32_t flows_with_loss = 0;
  };
  // `sent[f]` = packets the sender put on flow f (its next sequence number).
  Loss loss(const std::vector<uint32_t>& sent) const;

 private:
  struct Flow {
    bool any = false;
    uint32_t highest = 0;
    uint64_t unique = 0;
    uint64_t window[kWindow / 64] = {};  // bit i: highest - i received
  };
  std::vector<Flow> flows_;
  uint64_t received_ = 0, reordered_ = 0, duplicated_ = 0, unknown_ = 0;
};

}  // namespace steer::trafgen
