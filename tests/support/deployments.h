// Deployments the in-process tests and the change-latency bench start: no
// gtest here, so the bench can use them too.
#pragma once

#include <string>

#include "steer/model.h"
#include "steer/steering.h"

namespace steer::testing {

// A two-queue port p0 on `device`, RETA spread over both queues, the audit on;
// lcores are the caller's (a dispatcher or not).
inline Deployment two_queue_deployment(const std::string& device, bool drain) {
  Deployment d;
  d.eal.lcores = "(0-3)@(0,1)";
  d.mempools[0].cache = 32;
  d.dataplane.poll = PollMode::Adaptive;
  PortConfig pc;
  pc.name = "p0";
  pc.device = device;
  pc.rx_queues = 2;
  pc.tx_queues = 2;
  SteeringConfig sc;
  sc.rss.reta = reta_spread(128, {0, 1});
  sc.drain = drain;
  sc.drain_timeout_ms = 500;
  pc.steering = sc;
  pc.audit = AuditConfig{46, 50};
  d.ports = {pc};
  d.pipelines = {{{{0, 0}, {0, 1}}, Action::Echo, {}, {}}};
  return d;
}

}  // namespace steer::testing
