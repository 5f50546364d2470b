// The YAML deployment loader: a pure function over a stream. This header is
// free of yaml-cpp; the model it returns is the one in steer/model.h.
//
// Every error is one line: FILE:LINE:COLUMN: KEY.PATH: what is wrong, the bad
// value, and what is allowed.
#pragma once

#include <istream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "steer/model.h"
#include "steer/validate.h"

namespace steer {

struct ConfigResult {
  Deployment deployment;
  std::vector<std::string> errors;  // formatted, with file:line:column
  std::string file;
  std::map<std::string, std::pair<int, int>> marks;  // key path -> 1-based line, column
  bool ok() const { return errors.empty(); }

  // "FILE:LINE:COL: PATH: MESSAGE" for an error found after loading (device
  // limits, NUMA, sizing), located at the nearest enclosing key.
  std::string locate(const ConfigError& e) const;
};

// Parses and validates (validate() included). `file` names the source in errors.
ConfigResult load_config(std::istream& in, const std::string& file);
// `text`, when given, gets the bytes that were parsed (the state journal's
// digest is of exactly those).
ConfigResult load_config_file(const std::string& path, std::string* text = nullptr);

// A rules file (steerctl flow load): a list of rules written as a
// deployment's steering.flows entries, or a map whose one key, flows, holds
// that list. Each rule is read as a deployment's is; a name given twice is an
// error. Errors as load_config's, with paths "flows[3].match.udp_dst".
struct RulesFile {
  std::vector<FlowRule> rules;
  std::vector<std::string> errors;
};
RulesFile load_rules(std::istream& in, const std::string& file);

// The deployment as YAML in the shape load_config reads: loading the result
// gives the same deployment back.
std::string to_yaml(const Deployment& d);

}  // namespace steer
