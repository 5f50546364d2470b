#include "output.h"

#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>

namespace steerctl {
namespace {

void block_style(YAML::Node n) {
  n.SetStyle(YAML::EmitterStyle::Block);
  if (n.IsMap())
    for (auto kv : n) block_style(kv.second);
  else if (n.IsSequence())
    for (auto x : n) block_style(x);
}

}  // namespace

void print_json(const Session& s, const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  if (s.output == "yaml") {
    YAML::Node n = YAML::Load(out);  // JSON is YAML
    block_style(n);
    YAML::Emitter e;
    e << n;
    out = e.c_str();
  }
  std::printf("%s", out.c_str());
  if (out.empty() || out.back() != '\n') std::printf("\n");
}

void print_report(const Session& s, const ::steer::v1::ChangeReport& r) {
  if (!s.table()) return print_json(s, r);
  std::printf(
      "change %llu on %s: generation %llu, %u bucket(s) moved, %s, apply %.1f us, drain %.1f us, held %llu, "
      "longest hold %.1f us, timeouts %llu\n",
      (unsigned long long)r.id(), r.port().c_str(), (unsigned long long)r.generation(), r.buckets_moved(),
      r.drained() ? "drained" : "no drain", r.apply_us(), r.drain_us(), (unsigned long long)r.held(),
      r.longest_hold_us(), (unsigned long long)r.timeouts());
}

}  // namespace steerctl
