// steerd's logging: one spdlog logger for steerd's own lines and DPDK's
// (rte_log is redirected into it), written to the journal with structured
// fields when systemd connected stderr to journald (JOURNAL_STREAM), to the
// console otherwise. Levels come from the YAML (`log:`) and can be changed at
// runtime through the API. Never called from an lcore loop.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "steer/model.h"

namespace steer::log {

// Chooses the sink and applies the levels. Call once, before rte_eal_init
// (so the EAL's own start-up lines are captured too).
void init(const LogConfig& c);

// The levels now, by name (spdlog's for steerd, DPDK's for rte_log).
LogConfig levels();
// Sets either level (empty: unchanged); false with a sentence naming the
// field and the choices when a name is unknown (nothing changes then).
bool set_levels(const std::string& level, const std::string& dpdk, std::string* why);

// Whether log lines go to the journal.
bool to_journal();

// Structured journal fields for the lines logged on this thread while it
// lives, e.g. Fields f{{"STEER_PORT", "p0"}, {"STEER_GENERATION", "3"}}.
// Names are journal field names (upper case, digits, '_'). The console sink
// ignores them.
class Fields {
 public:
  Fields(std::initializer_list<std::pair<const char*, std::string>> f);
  ~Fields();
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

 private:
  size_t mark_;
};

}  // namespace steer::log
