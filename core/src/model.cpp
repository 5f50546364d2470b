#include "steer/model.h"

namespace steer {

const char* to_string(Action a) {
  switch (a) {
    case Action::Echo:
      return "echo";
    case Action::Forward:
      return "forward";
    case Action::Drop:
      return "drop";
  }
  return "?";
}

const char* to_string(PollMode p) {
  return p == PollMode::Busy ? "busy" : "adaptive";
}
const char* to_string(NumaPolicy n) {
  return n == NumaPolicy::Warn ? "warn" : "strict";
}

const char* to_string(SteeringMode m) {
  return m == SteeringMode::Auto ? "auto" : m == SteeringMode::Hardware ? "hardware" : "software";
}

std::vector<uint8_t> default_rss_key() {
  return {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
          0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
          0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
}

}  // namespace steer
