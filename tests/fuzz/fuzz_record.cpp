// The state journal's change records and a base's rules
// (controlplane/state/change_log.h), the text steerd reads back from disk at
// start. One line is a record's body, sealed here with its checksum so the
// parser's fields are reached; several lines are a base's rules. What parses
// must format back to text that parses to the same change or rules.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "change_log.h"
#include "fuzz_common.h"

using namespace steer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string line(reinterpret_cast<const char*>(data), size);
  if (line.find('\n') != std::string::npos) {  // several lines: a base's rules
    RuleList a, b;
    std::string why;
    if (!state::parse_rules(line, &a, &why)) {
      if (why.empty()) fuzz::broken("rules refused without a reason");
      return 0;
    }
    if (!state::parse_rules(state::format_rules(a), &b, &why) || !(b == a)) fuzz::broken("rules round trip");
    return 0;
  }
  char sum[24];  // the record's checksum
  std::snprintf(sum, sizeof sum, " ~%016" PRIx64, state::fnv1a64(line));
  line += sum;
  state::LoggedChange a, b;
  std::string why;
  if (!state::parse_record(line, &a, &why)) {
    if (why.empty()) fuzz::broken("refused without a reason");
    return 0;
  }
  std::string again = state::format_record(a.port, a.generation, a.change);
  again.pop_back();  // its '\n'
  if (!state::parse_record(again, &b, &why)) fuzz::broken("a formatted record does not parse");
  if (b.port != a.port || b.generation != a.generation || b.change.key != a.change.key ||
      b.change.types != a.change.types || b.change.reta != a.change.reta || b.change.add != a.change.add ||
      b.change.remove != a.change.remove)
    fuzz::broken("record round trip");
  return 0;
}
