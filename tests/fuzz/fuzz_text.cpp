// The text forms steerctl's arguments go through (core/text.h): MAC, hex key,
// prefixes, queue lists, hash-type names and rule fields. What parses must
// print back to something that parses to the same value.
#include <string>

#include "fuzz_common.h"

using namespace steer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string s(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0:
      if (auto m = parse_mac(s); m && parse_mac(format_mac(*m)) != m) fuzz::broken("mac round trip");
      break;
    case 1: {
      std::vector<uint8_t> k, k2;
      if (parse_hex(s, &k) && (!parse_hex(to_hex(k), &k2) || k2 != k)) fuzz::broken("hex round trip");
      break;
    }
    case 2: {
      uint8_t a[16], b[16], len, len2;
      const size_t bytes = (size & 1) ? 4 : 16;
      if (parse_prefix(s, bytes, a, &len) &&
          (!parse_prefix(format_prefix(a, bytes, len), bytes, b, &len2) || len2 != len))
        fuzz::broken("prefix round trip");
      break;
    }
    case 3: {
      std::vector<uint16_t> q;
      (void)parse_queue_list(s, &q);
      break;
    }
    case 4:
      (void)rss_type_names(rss_type_bit(s));
      break;
    case 5: {  // "key=value key=value ...": a steerctl flow add
      FlowRule r;
      size_t at = 0;
      while (at < s.size()) {
        size_t end = s.find(' ', at);
        if (end == std::string::npos) end = s.size();
        const std::string kv = s.substr(at, end - at);
        const size_t eq = kv.find('=');
        if (eq != std::string::npos) (void)set_rule_field(&r, kv.substr(0, eq), kv.substr(eq + 1));
        at = end + 1;
      }
      FlowRule back;
      for (const auto& f : rule_fields(r))
        if (!set_rule_field(&back, f.key, f.text).empty()) fuzz::broken("a printed rule field does not parse");
      back.name = r.name;
      back.priority = r.priority;
      if (!(back == r)) fuzz::broken("rule fields round trip");
      (void)format_rule(r);
      break;
    }
  }
  return 0;
}
