#include "checker.h"

#include <cstddef>

namespace steer::trafgen {
namespace {

void shift_window(uint64_t* w, uint32_t by) {
  constexpr unsigned kWords = Checker::kWindow / 64;
  if (by >= Checker::kWindow) {
    for (unsigned i = 0; i < kWords; ++i) w[i] = 0;
    return;
  }
  const unsigned words = by / 64, bits = by % 64;
  for (int i = int(kWords) - 1; i >= 0; --i) {
    uint64_t v = 0;
    int src = i - int(words);
    if (src >= 0) {
      v = w[src] << bits;
      if (bits && src > 0) v |= w[src - 1] >> (64 - bits);
    }
    w[i] = v;
  }
}

}  // namespace

Checker::Verdict Checker::on_packet(uint32_t flow, uint32_t seq) {
  if (flow >= flows_.size()) {
    ++unknown_;
    return Verdict::UnknownFlow;
  }
  ++received_;
  Flow& f = flows_[flow];
  if (!f.any) {
    f.any = true;
    f.highest = seq;
    f.window[0] = 1;
    ++f.unique;
    return Verdict::InOrder;
  }
  const int32_t ahead = int32_t(seq - f.highest);  // serial-number arithmetic: wraps at 2^32
  if (ahead > 0) {
    shift_window(f.window, uint32_t(ahead));
    f.window[0] |= 1;
    f.highest = seq;
    ++f.unique;
    return Verdict::InOrder;
  }
  const uint32_t behind = uint32_t(-ahead);
  if (behind < kWindow) {
    uint64_t& word = f.window[behind / 64];
    const uint64_t bit = uint64_t(1) << (behind % 64);
    if (word & bit) {
      ++duplicated_;
      return Verdict::Duplicate;
    }
    word |= bit;
  }
  ++f.unique;  // older than the window: cannot tell a duplicate, counted as reordered
  ++reordered_;
  return Verdict::Reordered;
}

Checker::Loss Checker::loss(const std::vector<uint32_t>& sent) const {
  Loss l;
  for (std::size_t i = 0; i < flows_.size() && i < sent.size(); ++i) {
    if (sent[i] > flows_[i].unique) {
      l.lost += sent[i] - flows_[i].unique;
      ++l.flows_with_loss;
    }
  }
  return l;
}

}  // namespace steer::trafgen
