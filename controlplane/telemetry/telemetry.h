// steerd's commands in DPDK's telemetry (dpdk-telemetry.py, beside
// /ethdev/*): /steer/ports, /steer/steering,PORT, /steer/queues,PORT,
// /steer/lcores. Answered on DPDK's telemetry thread from Dataplane's
// snapshots; never an lcore's work.
#pragma once

#include "steer/dataplane.h"

namespace steer::telemetry {

// Registers the commands (once per process) and points them at `dp`.
void attach(const Dataplane& dp);
// Before `dp` goes: the commands answer an error from then on.
void detach();

}  // namespace steer::telemetry
