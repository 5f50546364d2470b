// steerctl rss show | set-reta | set-key
#include <sstream>

#include "commands.h"
#include "output.h"
#include "steer/text.h"
#include "steering_calls.h"

namespace steerctl {

namespace pb = ::steer::v1;

namespace {

struct RssOptions {
  std::string port, spread, weights, entries, key, types;
  uint32_t size = 0;
  int64_t expect_gen = -1;
};

int show(Session& s, std::shared_ptr<grpc::Channel> ch, const RssOptions& o) {
  pb::Steering st;
  if (int rc = get_steering(ch, o.port, &st)) return rc;
  if (!s.table()) return print_json(s, st), 0;
  std::string t;
  for (const auto& x : st.rss().types()) t += (t.empty() ? "" : ",") + x;
  std::printf("port %s: %s steering, generation %llu\ntypes %s\nkey   %s\nreta  (%d)", st.port().c_str(),
              st.backend().c_str(), (unsigned long long)st.generation(), t.c_str(), st.rss().key().c_str(),
              st.rss().reta_size());
  for (int i = 0; i < st.rss().reta_size(); ++i) std::printf("%s%u", i % 32 ? " " : "\n  ", st.rss().reta(i));
  std::printf("\n");
  return 0;
}

int set_reta(Session& s, std::shared_ptr<grpc::Channel> ch, const RssOptions& o) {
  pb::ChangeRequest req;
  auto* r = req.mutable_reta();
  r->set_size(o.size);
  std::vector<uint16_t> qs;
  if (!o.spread.empty()) {
    if (!steer::parse_queue_list(o.spread, &qs))
      return usage("--spread " + o.spread + ": write queues like 0-3 or 0,2");
    for (auto q : qs) r->add_spread(q);
  } else if (!o.entries.empty()) {
    std::stringstream ss(o.entries);
    for (std::string e; std::getline(ss, e, ',');) {
      if (!steer::parse_queue_list(e, &qs) || qs.size() != 1) return usage("--entries: \"" + e + "\" is not a queue");
      r->add_entries(qs[0]);
    }
  } else if (!o.weights.empty()) {
    std::stringstream ss(o.weights);
    for (std::string e; std::getline(ss, e, ',');) {
      const size_t eq = e.find('=');
      std::vector<uint16_t> w;
      if (eq == std::string::npos || !steer::parse_queue_list(e.substr(0, eq), &qs) || qs.size() != 1 ||
          e.find_first_not_of("0123456789", eq + 1) != std::string::npos || eq + 1 == e.size())
        return usage("--weights: \"" + e + "\" is not queue=weight");
      (*r->mutable_weights())[qs[0]] = uint32_t(std::stoul(e.substr(eq + 1)));
    }
  } else {
    return usage("set-reta needs --spread, --weights or --entries");
  }
  return send_change(s, ch, req, o.port, o.expect_gen);
}

int set_key(Session& s, std::shared_ptr<grpc::Channel> ch, const RssOptions& o) {
  if (o.key.empty() && o.types.empty()) return usage("set-key needs a key or --types");
  pb::ChangeRequest req;
  req.set_key(o.key);
  std::stringstream ss(o.types);
  for (std::string t; std::getline(ss, t, ',');) req.add_types(t);
  return send_change(s, ch, req, o.port, o.expect_gen);
}

}  // namespace

void add_rss(CLI::App& app, Session& s) {
  static RssOptions o;
  auto* rss = app.add_subcommand("rss", "show or change RSS");
  rss->require_subcommand(1);
  auto* show_cmd = rss->add_subcommand("show", "key, hash types and RETA");
  show_cmd->add_option("port", o.port)->required();
  show_cmd->callback(runs(s, [&s](auto ch) { return show(s, ch, o); }));

  auto* reta = rss->add_subcommand("set-reta", "move RETA buckets (drained live)");
  reta->add_option("port", o.port)->required();
  auto* o_spread = reta->add_option("--spread", o.spread, "queues to spread over, e.g. 0-3");
  auto* o_weights = reta->add_option("--weights", o.weights, "queue=weight,..., e.g. 0=3,1=1");
  auto* o_entries = reta->add_option("--entries", o.entries, "every entry, e.g. 0,1,1,0");
  o_spread->excludes(o_weights)->excludes(o_entries);
  o_weights->excludes(o_entries);
  reta->add_option("--size", o.size, "RETA size for --spread/--weights (default: current)");
  reta->add_option("--expect-generation", o.expect_gen, "refuse unless the port is at this generation");
  reta->callback(runs(s, [&s](auto ch) { return set_reta(s, ch, o); }));

  auto* key = rss->add_subcommand("set-key", "new RSS key (hex, 40 or 52 bytes) and/or hash types");
  key->add_option("port", o.port)->required();
  key->add_option("key", o.key, "hex key");
  key->add_option("--types", o.types, "comma list: ipv4,ipv4-tcp,ipv4-udp,ipv6,ipv6-tcp,ipv6-udp");
  key->add_option("--expect-generation", o.expect_gen);
  key->callback(runs(s, [&s](auto ch) { return set_key(s, ch, o); }));
}

}  // namespace steerctl
