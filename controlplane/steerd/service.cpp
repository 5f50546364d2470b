#include "service.h"

#include <systemd/sd-daemon.h>

#include <algorithm>

namespace steer::service {

Notifier::Notifier() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void Notifier::send(const std::string& msg) {
  (void)sd_notify(0, msg.c_str());  // no NOTIFY_SOCKET: nothing to do, nothing to report
}

void Notifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
}

void Notifier::status(const std::string& status) {
  send("STATUS=" + status);
}

void Notifier::reloading() {
  send("RELOADING=1\nSTATUS=reloading the deployment");
}

void Notifier::stopping() {
  send("STOPPING=1\nSTATUS=stopping: draining the lcores");
}

std::vector<unsigned> Notifier::check(const std::vector<Dataplane::Heartbeat>& now) {
  std::vector<unsigned> stuck;
  for (const auto& h : now) {
    auto was = std::find_if(last_.begin(), last_.end(), [&](const auto& l) { return l.lcore == h.lcore; });
    if (was != last_.end() && was->loops == h.loops) stuck.push_back(h.lcore);
  }
  last_ = now;
  if (stuck.empty()) {
    send("WATCHDOG=1");
  } else {
    std::string which;
    for (unsigned l : stuck) which += (which.empty() ? "" : ", ") + std::to_string(l);
    send("STATUS=lcore " + which + " stuck: not petting the watchdog");
  }
  return stuck;
}

std::string status_line(const Dataplane& dp) {
  std::string s;
  for (const auto& p : dp.ports()) {
    if (!s.empty()) s += "; ";
    s += p.name + ": ";
    if (p.steered)
      s += std::string(to_string(p.backend)) + " steering, generation " + std::to_string(dp.generation(p.name));
    else
      s += "no steering";
  }
  return s.empty() ? "running" : "running: " + s;
}

}  // namespace steer::service
