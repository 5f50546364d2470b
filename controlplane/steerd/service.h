// systemd integration for Type=notify (libsystemd's sd_notify): READY=1 once
// the ports are up and the lcores run, STATUS= lines, RELOADING=1/READY=1
// around a reload, STOPPING=1, and the watchdog, petted only while every
// lcore's loop count advances, so a stuck lcore gets the service restarted.
// Outside systemd (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "steer/dataplane.h"

namespace steer::service {

class Notifier {
 public:
  Notifier();
  std::chrono::microseconds watchdog() const { return watchdog_; }  // zero: no WatchdogSec=

  void ready(const std::string& status);
  void status(const std::string& status);
  void reloading();
  void stopping();

  // One watchdog round: pets it (WATCHDOG=1) when every lcore's loop count
  // moved since the previous round. Returns the lcores that did not move; the
  // watchdog is then not petted, and STATUS says which lcore is stuck.
  std::vector<unsigned> check(const std::vector<Dataplane::Heartbeat>& now);

 private:
  void send(const std::string& msg);
  std::chrono::microseconds watchdog_{0};
  std::vector<Dataplane::Heartbeat> last_;
};

// The STATUS= line: each port's steering backend and generation.
std::string status_line(const Dataplane& dp);

}  // namespace steer::service
