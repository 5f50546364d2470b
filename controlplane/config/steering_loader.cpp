#include "steering_loader.h"

#include <map>
#include <unordered_map>

#include "steer/steering.h"
#include "steer/text.h"

namespace steer {

std::optional<SteeringConfig> SteeringLoader::load(const YAML::Node& n, const std::string& p, uint16_t queues) {
  if (!is_map(n, p)) return std::nullopt;
  check_keys(n, p, {"mode", "rss", "flows", "drain", "drain_timeout_ms"});
  SteeringConfig sc;
  choice(n, "mode", p, sc.mode,
         {{"auto", SteeringMode::Auto}, {"hardware", SteeringMode::Hardware}, {"software", SteeringMode::Software}});
  boolean(n, "drain", p, sc.drain);
  // Its range (1-60000) is validate_steering's to check, as for a live change.
  number(n, "drain_timeout_ms", p, sc.drain_timeout_ms, 0, UINT32_MAX);
  std::vector<uint16_t> all(queues);
  for (uint16_t q = 0; q < queues; ++q) all[q] = q;
  sc.rss.reta = reta_spread(128, all);
  if (YAML::Node rss = n["rss"]; rss && is_map(rss, p + ".rss")) load_rss(rss, p + ".rss", all, sc.rss);
  if (YAML::Node fl = n["flows"]; fl && is_seq(fl, p + ".flows"))
    for (size_t i = 0; i < fl.size(); ++i) {
      const std::string fp = index_path(p + ".flows", i);
      mark(fp, fl[i]);
      if (!is_map(fl[i], fp)) continue;
      FlowRule r;
      load_rule(fl[i], fp, r);
      sc.flows.push_back(r);
    }
  return sc;
}

void SteeringLoader::load_rss(const YAML::Node& rss, const std::string& rp, const std::vector<uint16_t>& all,
                              RssConfig& out) {
  check_keys(rss, rp, {"types", "key", "reta"});
  if (YAML::Node t = rss["types"]; t && is_seq(t, rp + ".types")) {
    out.types = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      const uint32_t bit = t[i].IsScalar() ? rss_type_bit(t[i].Scalar()) : 0;
      if (!bit) error(t[i], index_path(rp + ".types", i), shown(t[i]) + " is not a hash type; use " + kRssTypeList);
      out.types |= bit;
    }
  }
  if (auto k = scalar(rss, "key", rp); k && !parse_hex(k.Scalar(), &out.key))
    error(k, rp + ".key", "\"" + k.Scalar() + "\" is not hex; write 80 or 104 hex digits (40 or 52 bytes)");
  if (YAML::Node r = rss["reta"]; r && is_map(r, rp + ".reta")) load_reta(r, rp + ".reta", all, out);
}

void SteeringLoader::queue_list(const YAML::Node& l, const std::string& lp, std::vector<uint16_t>& out) {
  if (!is_seq(l, lp)) return;
  for (size_t i = 0; i < l.size(); ++i) {
    uint16_t q = 0;
    if (!l[i].IsScalar())
      error(l[i], index_path(lp, i), "expected a queue number");
    else if (parse_number(l[i], index_path(lp, i), q, 0, kMaxQueuesPerPort - 1))
      out.push_back(q);
  }
}

void SteeringLoader::load_reta(const YAML::Node& r, const std::string& tp, const std::vector<uint16_t>& all,
                               RssConfig& out) {
  check_keys(r, tp, {"size", "spread", "entries", "weights"});
  uint32_t size = 128;
  number(r, "size", tp, size, 1, 65536);
  const int given = int(bool(r["spread"])) + int(bool(r["entries"])) + int(bool(r["weights"]));
  if (given > 1) error(r, tp, "give one of spread, entries or weights");
  if (YAML::Node sp = r["spread"]) {
    std::vector<uint16_t> qs;
    queue_list(sp, tp + ".spread", qs);
    out.reta = reta_spread(size, qs);
  } else if (YAML::Node en = r["entries"]) {
    out.reta.clear();
    queue_list(en, tp + ".entries", out.reta);
  } else if (YAML::Node w = r["weights"]; w && is_map(w, tp + ".weights")) {
    std::map<uint16_t, uint32_t> weights;
    for (const auto& kv : w) {
      uint16_t q = 0;
      uint32_t wt = 0;
      if (parse_number(kv.first, tp + ".weights", q, 0, kMaxQueuesPerPort - 1) &&
          parse_number(kv.second, tp + ".weights." + kv.first.Scalar(), wt, 1, 1000000))
        weights[q] = wt;
    }
    out.reta = reta_weights(size, weights);
  } else {
    out.reta = reta_spread(size, all);
  }
  if (given) mark(tp, r);
}

std::vector<FlowRule> SteeringLoader::load_rules(const YAML::Node& root) {
  std::vector<FlowRule> rules;
  YAML::Node list = root;
  if (root.IsMap()) {
    const size_t had = r_.errors.size();
    check_keys(root, "", {"flows"});
    if (r_.errors.size() != had) return rules;  // an unknown key says what is allowed
    list = root["flows"];
  }
  if (!list || !list.IsSequence()) {
    error(root, "", "expected a list of rules (as under steering.flows) or a map with flows: holding one");
    return rules;
  }
  std::unordered_map<std::string, size_t> first;  // name -> its index
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string fp = index_path("flows", i);
    if (!is_map(list[i], fp)) continue;
    FlowRule r;
    load_rule(list[i], fp, r);
    if (auto [at, fresh] = first.emplace(r.name, i); !fresh && !r.name.empty())
      error(list[i]["name"], fp + ".name",
            "\"" + r.name + "\" is also flows[" + std::to_string(at->second) + "]'s name; give each rule its own");
    rules.push_back(std::move(r));
  }
  return rules;
}

RulesFile load_rules(std::istream& in, const std::string& file) {
  ConfigResult r;
  r.file = file;
  RulesFile out;
  try {
    const YAML::Node root = YAML::Load(in);
    out.rules = SteeringLoader(r).load_rules(root);
  } catch (const YAML::Exception& ex) {
    r.errors.push_back(file + ":" + std::to_string(ex.mark.line + 1) + ":" + std::to_string(ex.mark.column + 1) +
                       ": YAML syntax: " + ex.msg);
  }
  out.errors = std::move(r.errors);
  if (!out.errors.empty()) out.rules.clear();
  return out;
}

void SteeringLoader::load_rule(const YAML::Node& f, const std::string& fp, FlowRule& r) {
  check_keys(f, fp, {"name", "priority", "match", "action"});
  require(f, fp, {"name", "priority", "action"});
  text(f, "name", fp, r.name);
  number(f, "priority", fp, r.priority, 0, 0xffffffffu);
  // Each field as text through set_rule_field; a list (action rss) as "0,1".
  auto fields = [&](const YAML::Node& map, const std::string& path, const std::vector<std::string>& keys) {
    if (!map || !is_map(map, path)) return;
    check_keys_in(map, path, keys);
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      const std::string kp = join_path(path, key);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;  // reported above
      mark(kp, kv.second);
      std::string t;
      if (kv.second.IsSequence()) {
        for (size_t j = 0; j < kv.second.size(); ++j) {
          if (j) t += ',';
          t += kv.second[j].IsScalar() ? kv.second[j].Scalar() : std::string("?");
        }
      } else if (kv.second.IsScalar()) {
        t = kv.second.Scalar();
      } else {
        error(kv.second, kp, "expected a single value, got " + shown(kv.second));
        continue;
      }
      if (std::string why = set_rule_field(&r, key, t); !why.empty()) error(kv.second, kp, why);
    }
  };
  fields(f["match"], fp + ".match", kRuleMatchKeys);
  fields(f["action"], fp + ".action", kRuleActionKeys);
}

}  // namespace steer
