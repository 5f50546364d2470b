// A line diff in unified form, for `steerctl diff` (the running deployment
// against its file). Pure; both sides are the emitter's canonical YAML, so
// every difference is one of meaning, not of formatting.
#pragma once

#include <string>

namespace steer {

// "" when a and b are equal. Otherwise "--- a_name\n+++ b_name\n" and one
// hunk per run of changes with `context` equal lines around it:
// "@@ -L,N +L,N @@", then " " kept, "-" only in a, "+" only in b.
std::string line_diff(const std::string& a, const std::string& b, const std::string& a_name, const std::string& b_name,
                      int context = 3);

}  // namespace steer
