// A YAML reader that records where every key was (for FILE:LINE:COL errors)
// and reads scalars with range checks, unknown keys refused with a "did you
// mean". Generic: the section loaders (loader.cpp, steering_loader.cpp) say
// what a deployment looks like. Private to controlplane/config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace steer {

using Keys = std::initializer_list<std::string_view>;

inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

class YamlReader {
 public:
  explicit YamlReader(ConfigResult& r) : r_(r) {}

 protected:
  ConfigResult& r_;

  static std::string join_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }
  static std::string index_path(const std::string& parent, size_t i) { return parent + "[" + std::to_string(i) + "]"; }

  void mark(const std::string& path, const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.line >= 0) r_.marks.emplace(path, std::make_pair(m.line + 1, m.column + 1));
  }
  void error_at(int line, int col, const std::string& path, const std::string& msg) {
    r_.errors.push_back(r_.file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                        (path.empty() ? "" : path + ": ") + msg);
  }
  void error(const YAML::Node& n, const std::string& path, const std::string& msg) {
    const YAML::Mark m = n.Mark();
    error_at(m.line + 1, m.column + 1, path, msg);
  }
  static std::string shown(const YAML::Node& n) {
    if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "nothing";
  }

  bool is_map(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    error(n, path, "expected a mapping (key: value), got " + shown(n));
    return false;
  }
  bool is_seq(const YAML::Node& n, const std::string& path) {
    if (n.IsSequence()) return true;
    error(n, path, "expected a list, got " + shown(n));
    return false;
  }

  void check_keys(const YAML::Node& map, const std::string& path, Keys allowed) { check_keys_in(map, path, allowed); }
  // Every key of `map` must be one of `allowed` (any range of strings).
  template <class Allowed>
  void check_keys_in(const YAML::Node& map, const std::string& path, const Allowed& allowed) {
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
        mark(join_path(path, key), kv.second);
        continue;
      }
      std::string list, guess;
      for (auto a : allowed) {
        list += (list.empty() ? "" : ", ") + std::string(a);
        if (guess.empty() && edit_distance(key, std::string_view(a)) <= 2) guess = std::string(a);
      }
      error(kv.first, join_path(path, key),
            "unknown key" + (guess.empty() ? "" : " (did you mean " + guess + "?)") + "; allowed here: " + list);
    }
  }

  // The scalar under `key` in `map`, or nullptr-like undefined when absent.
  YAML::Node scalar(const YAML::Node& map, const char* key, const std::string& path) {
    YAML::Node n = map[key];
    if (!n) return n;
    if (!n.IsScalar()) {
      error(n, join_path(path, key), "expected a single value, got " + shown(n));
      return YAML::Node(YAML::NodeType::Undefined);
    }
    return n;
  }

  template <typename T>
  bool parse_number(const YAML::Node& n, const std::string& path, T& out, uint64_t lo, uint64_t hi) {
    const std::string& s = n.Scalar();
    uint64_t v = 0;
    bool ok =
        !s.empty() && s.size() <= 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) v = std::stoull(s);
    if (!ok || v < lo || v > hi) {
      error(
          n, path,
          "\"" + s + "\" is not allowed; use a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      return false;
    }
    out = T(v);
    return true;
  }

  template <typename T>
  void number(const YAML::Node& map, const char* key, const std::string& path, T& out, uint64_t lo, uint64_t hi) {
    if (auto n = scalar(map, key, path)) parse_number(n, join_path(path, key), out, lo, hi);
  }

  void boolean(const YAML::Node& map, const char* key, const std::string& path, bool& out) {
    auto n = scalar(map, key, path);
    if (!n) return;
    const std::string& s = n.Scalar();
    if (s == "true")
      out = true;
    else if (s == "false")
      out = false;
    else
      error(n, join_path(path, key), "\"" + s + "\" is not allowed; use true or false");
  }

  void text(const YAML::Node& map, const char* key, const std::string& path, std::string& out) {
    if (auto n = scalar(map, key, path)) out = n.Scalar();
  }

  template <typename E>
  void choice(const YAML::Node& map, const char* key, const std::string& path, E& out,
              std::initializer_list<std::pair<std::string_view, E>> options) {
    auto n = scalar(map, key, path);
    if (!n) return;
    std::string list;
    for (const auto& [name, value] : options) {
      if (n.Scalar() == name) {
        out = value;
        return;
      }
      list += (list.empty() ? "" : " or ") + std::string(name);
    }
    error(n, join_path(path, key), "\"" + n.Scalar() + "\" is not allowed; use " + list);
  }

  void require(const YAML::Node& map, const std::string& path, Keys keys) {
    for (auto k : keys)
      if (!map[std::string(k)]) error(map, join_path(path, std::string(k)), "missing; this key is required");
  }
};

}  // namespace steer
