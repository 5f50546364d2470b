// The event bus behind WatchEvents: change reports (from the Controller, for
// every path a change takes) and link changes, kept in a bounded window that
// each watcher follows from the moment it began.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "steer/change.h"
#include "steer/v1/steer.pb.h"

namespace steer::rpc {

namespace pb = ::steer::v1;

class EventBus {
 public:
  void publish(const ChangeReport& r);
  void publish(::steer::v1::Event e);  // stamps the time
  uint64_t now() const;                // the sequence number a new watcher starts after
  // Events after `*seen` (waiting up to `wait` for one); advances *seen.
  std::vector<::steer::v1::Event> after(uint64_t* seen, std::chrono::milliseconds wait);
  void wake_all();  // shutdown: watchers look at their stop flag

  static constexpr size_t kWindow = 1024;

 private:
  mutable std::mutex mu_;  // guards events_, seq_
  std::condition_variable cv_;
  std::deque<::steer::v1::Event> events_;
  uint64_t seq_ = 0;  // sequence number of events_.back()
};

}  // namespace steer::rpc
