// The YAML deployment loader over any text. A deployment it accepts must
// survive the emitter: to_yaml, loaded again, is accepted and emits the same.
#include <sstream>

#include "../../controlplane/config/config.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  const steer::ConfigResult r = steer::load_config(in, "fuzz.yaml");
  if (!r.ok()) return 0;
  const std::string once = steer::to_yaml(r.deployment);
  std::istringstream again(once);
  const steer::ConfigResult r2 = steer::load_config(again, "emitted.yaml");
  if (!r2.ok()) steer::fuzz::broken("the emitter wrote a deployment the loader refuses");
  if (steer::to_yaml(r2.deployment) != once) steer::fuzz::broken("load(emit(d)) differs from d");
  return 0;
}
