// The state journal's change log: one line per committed change, appended
// and fdatasync'd before the change is answered, so a change costs what it
// touches instead of a rewrite of every rule (README "State across restarts").
//
// A record is the change as it was asked (SteeringChange: key, types, RETA,
// rules added, names removed), the port and the generation it made:
//
//   <generation> <port> [key=HEX] [types=a,b] [reta=q,q,...] [remove=NAME]...
//       [add=NAME priority=N FIELD=TEXT...]... ~<FNV-1a 64 of what precedes, hex>
//
// Fields are steer/text.h's text forms; values are %-escaped where they hold
// a space, '%' or a line break. Replaying records through plan_change on the
// base (running.yaml) gives the running steering back exactly: the same
// merge and the same validation the change had when it was made.
//
// Pure C++ (no EAL, no yaml-cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "steer/change.h"

namespace steer::state {

struct LoggedChange {
  std::string port;
  uint64_t generation = 0;
  SteeringChange change;
};

// FNV-1a, 64 bit: a record's checksum and a deployment file's digest. Tells
// damage from intact text; not a security hash.
uint64_t fnv1a64(std::string_view text);

// The record's line, '\n' included.
std::string format_record(const std::string& port, uint64_t generation, const SteeringChange& c);

// One line (without its '\n'). False with *why when the checksum does not
// match or a field does not read.
bool parse_record(const std::string& line, LoggedChange* out, std::string* why);

// A port's rules as the base holds them: one "add=NAME priority=N FIELD=TEXT..."
// line each, in order (a record's rule form: a base written this way took
// ~3 us a rule, through yaml-cpp 34-40). parse_rules: false with *why naming
// the line.
std::string format_rules(const RuleList& rules);
bool parse_rules(const std::string& text, RuleList* out, std::string* why);

// What a change log holds. A last line cut short (no '\n', or a checksum that
// does not match) is a write a crash interrupted: its change was never
// answered, so it is dropped and `torn` says so. A bad record followed by
// good ones is corruption: read_change_log fails.
struct ChangeLogText {
  std::vector<LoggedChange> records;
  bool torn = false;
};
bool read_change_log(const std::string& path, ChangeLogText* out, std::string* why);

}  // namespace steer::state
