// Frames as a dispatcher sees them: the parser, the Toeplitz tuple (also as
// the dispatcher's two parsers write it, straight from the frame) and
// classification over any bytes: truncated headers, IHL < 5 or past the end,
// IP options, fragments, IPv6 extension chains, VLAN/QinQ, zero length,
// jumbo. The first byte splits the input the way a chained mbuf does: the
// dispatcher parses the first segment only, so that prefix is what the
// parser gets, in a buffer of exactly its size (ASan sees any overread).
#include <cstring>
#include <memory>

#include "fuzz_common.h"

using namespace steer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const SteeringTable table(fuzz::steering_config());
  if (size == 0) {
    (void)parse_fields(nullptr, 0);
    return 0;
  }
  const size_t split = data[0] & 1 ? size - 1 : std::min<size_t>(size - 1, data[0]);
  auto seg = std::make_unique<uint8_t[]>(split ? split : 1);
  std::memcpy(seg.get(), data + 1, split);
  const PacketFields f = parse_fields(seg.get(), split);
  if (f.has_ports && !f.ipv4 && !f.ipv6) fuzz::broken("ports without an IP header");
  if (f.ipv4 && f.ipv6) fuzz::broken("both IPv4 and IPv6");
  uint8_t tuple[ToeplitzTable::kMaxInput], direct[ToeplitzTable::kMaxInput];
  for (const auto& t : kRssTypeNames) {
    const size_t n = rss_tuple(f, t.bit, tuple);
    if (n > ToeplitzTable::kMaxInput) fuzz::broken("tuple longer than the Toeplitz input");
    // The dispatcher's two parsers (without rules, with), on the same segment.
    if (frame_tuple(seg.get(), split, t.bit, direct) != n || std::memcmp(tuple, direct, n) != 0)
      fuzz::broken("frame_tuple differs from rss_tuple of the parsed fields");
    PacketFields both;
    if (parse_fields_and_tuple(seg.get(), split, t.bit, both, direct) != n || std::memcmp(tuple, direct, n) != 0)
      fuzz::broken("parse_fields_and_tuple's tuple differs from rss_tuple of the parsed fields");
    if (std::memcmp(&both, &f, sizeof f) != 0)
      fuzz::broken("parse_fields_and_tuple's fields differ from parse_fields'");
  }
  const SteerVerdict v = table.classify(f);
  if (v.kind == SteerVerdict::Queue && v.queue >= 4) fuzz::broken("a queue the port does not have");
  if (v.rule >= int32_t(table.rule_slots())) fuzz::broken("a rule index out of range");
  return 0;
}
