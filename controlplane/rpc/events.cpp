#include "events.h"

#include <algorithm>
#include <chrono>

#include "convert.h"

namespace steer::rpc {

void EventBus::publish(const ChangeReport& r) {
  pb::Event e;
  to_proto(r, e.mutable_change());
  publish(std::move(e));
}

void EventBus::publish(pb::Event e) {
  e.set_time_unix_ns(
      uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
    if (events_.size() > kWindow) events_.pop_front();
    ++seq_;
  }
  cv_.notify_all();
}

uint64_t EventBus::now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

std::vector<pb::Event> EventBus::after(uint64_t* seen, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [&] { return seq_ != *seen; });
  const uint64_t n = std::min<uint64_t>(seq_ - *seen, events_.size());
  std::vector<pb::Event> fresh(events_.end() - std::ptrdiff_t(n), events_.end());
  *seen = seq_;
  return fresh;
}

void EventBus::wake_all() {
  cv_.notify_all();
}

}  // namespace steer::rpc
