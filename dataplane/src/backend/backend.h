// A port's steering backend: where a validated ChangePlan goes. Software
// (dispatchers classify, software.h) or hardware (the NIC classifies through
// rte_ethdev/rte_flow, hardware.h); select.cpp decides which at start. Both
// take the same plan and answer with the same report, under the same drain
// protocol. Control thread only (the Controller serialises changes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "steer/change.h"
#include "steer/hw_steering.h"
#include "steer/model.h"
#include "steer/validate.h"

namespace steer {

class SteeringBackend {
 public:
  virtual ~SteeringBackend() = default;
  virtual SteeringMode kind() const = 0;

  // What the device would refuse in `p`, with the field named; touches
  // nothing. The software backend takes everything the model validated.
  virtual std::vector<ConfigError> check(const std::string& port, const ChangePlan& p) = 0;

  // Applies a checked plan as generation `gen`: moved flows are held until the
  // queues that lost them have finished what they had (when p.drain.on), and
  // the report says how long that took and how much was held. On error the
  // port is back at its previous generation, or the message says what the
  // rollback could not restore.
  virtual std::vector<ConfigError> apply(const std::string& port, const ChangePlan& p, uint64_t gen,
                                         ChangeReport& rep) = 0;
};

// Why port `i` of `d` cannot steer in hardware on a device with `caps` ("":
// it can). `caps_rc` is what reading them returned.
std::string hardware_refusal(const Deployment& d, size_t i, int caps_rc, const HwCaps& caps);

// rte_strerror of a negative or positive errno; a number in lowercase hex.
std::string errno_text(int rc);
std::string hex_u64(uint64_t v);

}  // namespace steer
