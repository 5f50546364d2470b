// ports[].steering: mode, rss (types, key, reta), flows, drain. Rule fields
// are read through steer/text.h's set_rule_field, as the API and steerctl
// read them.
#pragma once

#include <optional>
#include <string>

#include "reader.h"

namespace steer {

class SteeringLoader : public YamlReader {
 public:
  using YamlReader::YamlReader;
  std::optional<SteeringConfig> load(const YAML::Node& n, const std::string& path, uint16_t queues);
  // A rules file's root (load_rules in config.h).
  std::vector<FlowRule> load_rules(const YAML::Node& root);

 private:
  void load_rss(const YAML::Node& rss, const std::string& path, const std::vector<uint16_t>& all, RssConfig& out);
  void load_reta(const YAML::Node& r, const std::string& path, const std::vector<uint16_t>& all, RssConfig& out);
  void load_rule(const YAML::Node& f, const std::string& path, FlowRule& r);
  // A list of queue numbers under `path` into `out`.
  void queue_list(const YAML::Node& l, const std::string& path, std::vector<uint16_t>& out);
};

}  // namespace steer
