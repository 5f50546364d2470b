// steerctl: steerd's command line, a gRPC client of steer.v1.
//
// Exit codes: 0 done; 2 usage; 3 invalid argument; 4 not found; 5 failed
// precondition (e.g. stale --expect-generation); 6 steerd unreachable or
// unavailable; 1 anything else. Errors are one line on stderr.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "steer/v1/steer.grpc.pb.h"

namespace pb = ::steer::v1;

namespace {

std::string g_output = "table";

int exit_code(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return 0;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 3;
    case grpc::StatusCode::NOT_FOUND:
      return 4;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 5;
    case grpc::StatusCode::UNAVAILABLE:
      return 6;
    default:
      return 1;
  }
}

int fail(const grpc::Status& s) {
  std::fprintf(stderr, "steerctl: %s\n",
               s.error_code() == grpc::StatusCode::UNAVAILABLE && s.error_message().find("connect") != std::string::npos
                   ? ("cannot reach steerd (" + s.error_message() + "); is it running, and is --socket right?").c_str()
                   : s.error_message().c_str());
  return exit_code(s);
}

void block_style(YAML::Node n) {
  n.SetStyle(YAML::EmitterStyle::Block);
  if (n.IsMap())
    for (auto kv : n) block_style(kv.second);
  else if (n.IsSequence())
    for (auto x : n) block_style(x);
}

// -o json and -o yaml print the same document (proto3 JSON names).
void print_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  if (g_output == "yaml") {
    YAML::Node n = YAML::Load(out);  // JSON is YAML
    block_style(n);
    YAML::Emitter e;
    e << n;
    out = e.c_str();
  }
  std::printf("%s", out.c_str());
  if (out.empty() || out.back() != '\n') std::printf("\n");
}

// "0-3" or "0,2,5" or "0-1,3" -> queues
bool parse_queues(const std::string& s, std::vector<uint32_t>* out) {
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    size_t dash = part.find('-');
    try {
      if (dash == std::string::npos)
        out->push_back(uint32_t(std::stoul(part)));
      else
        for (uint32_t q = uint32_t(std::stoul(part.substr(0, dash))); q <= uint32_t(std::stoul(part.substr(dash + 1)));
             ++q)
          out->push_back(q);
    } catch (...) {
      return false;
    }
  }
  return !out->empty();
}

void print_report(const pb::ChangeReport& r) {
  if (g_output != "table") return print_json(r);
  std::printf(
      "change %llu on %s: generation %llu, %u bucket(s) moved, %s, apply %.1f us, drain %.1f us, held %llu, "
      "longest hold %.1f us, timeouts %llu\n",
      (unsigned long long)r.id(), r.port().c_str(), (unsigned long long)r.generation(), r.buckets_moved(),
      r.drained() ? "drained" : "no drain", r.apply_us(), r.drain_us(), (unsigned long long)r.held(),
      r.longest_hold_us(), (unsigned long long)r.timeouts());
}

// Prints each message of a server stream until it ends, or cancels it after
// `count` messages (0: never).
template <typename T, typename Reader, typename Show>
int follow(grpc::ClientContext& ctx, std::unique_ptr<Reader> reader, uint32_t count, Show show) {
  T msg;
  uint32_t n = 0;
  while (reader->Read(&msg)) {
    show(msg);
    std::fflush(stdout);
    if (count && ++n >= count) {
      ctx.TryCancel();
      break;
    }
  }
  auto st = reader->Finish();
  return st.ok() || st.error_code() == grpc::StatusCode::CANCELLED ? 0 : fail(st);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"steerctl: control a running steerd"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (-o, --socket) may follow the subcommand
  std::string socket = "/run/steerd/steerd.sock";
  app.add_option("--socket", socket, "steerd's control socket")->capture_default_str();
  app.add_option("-o,--output", g_output, "table, json or yaml")->check(CLI::IsMember({"table", "json", "yaml"}));
  std::string address, ca, cert, keyfile;
  bool insecure = false;
  app.add_option("--address", address, "steerd over TCP, host:port (instead of --socket)");
  app.add_option("--ca", ca, "PEM CA that signed steerd's certificate (TLS)");
  app.add_option("--cert", cert, "PEM client certificate (mTLS)");
  app.add_option("--key", keyfile, "PEM client key (mTLS)");
  app.add_flag("--insecure", insecure, "plain TCP (steerd allows it on loopback only)");

  auto* ports = app.add_subcommand("ports", "list ports: capabilities, steering backend and why, queue owners");

  auto* rss = app.add_subcommand("rss", "show or change RSS");
  rss->require_subcommand(1);
  std::string port;
  auto* rss_show = rss->add_subcommand("show", "key, hash types and RETA");
  rss_show->add_option("port", port)->required();
  auto* set_reta = rss->add_subcommand("set-reta", "move RETA buckets (drained live)");
  set_reta->add_option("port", port)->required();
  std::string spread, weights, entries;
  uint32_t size = 0;
  int64_t expect_gen = -1;
  auto* o_spread = set_reta->add_option("--spread", spread, "queues to spread over, e.g. 0-3");
  auto* o_weights = set_reta->add_option("--weights", weights, "queue=weight,..., e.g. 0=3,1=1");
  auto* o_entries = set_reta->add_option("--entries", entries, "every entry, e.g. 0,1,1,0");
  o_spread->excludes(o_weights)->excludes(o_entries);
  o_weights->excludes(o_entries);
  set_reta->add_option("--size", size, "RETA size for --spread/--weights (default: current)");
  set_reta->add_option("--expect-generation", expect_gen, "refuse unless the port is at this generation");
  auto* set_key = rss->add_subcommand("set-key", "new RSS key (hex, 40 or 52 bytes) and/or hash types");
  set_key->add_option("port", port)->required();
  std::string key, types;
  set_key->add_option("key", key, "hex key");
  set_key->add_option("--types", types, "comma list: ipv4,ipv4-tcp,ipv4-udp,ipv6,ipv6-tcp,ipv6-udp");
  set_key->add_option("--expect-generation", expect_gen);

  auto* flow = app.add_subcommand("flow", "list, add, replace or delete flow rules");
  flow->require_subcommand(1);
  auto* flow_list = flow->add_subcommand("list", "rules of a port");
  flow_list->add_option("port", port)->required();
  auto* flow_add = flow->add_subcommand("add", "add a rule (an existing name is replaced)");
  auto* flow_replace = flow->add_subcommand("replace", "replace a rule by name");
  std::string name, ipv4_src, ipv4_dst, ipv6_src, ipv6_dst, rss_queues;
  uint32_t priority = 0;
  int64_t udp_dst = -1, udp_src = -1, tcp_dst = -1, tcp_src = -1, queue = -1, mark = -1, vlan = -1;
  bool drop = false;
  for (auto* c : {flow_add, flow_replace}) {
    c->add_option("port", port)->required();
    c->add_option("name", name)->required();
    c->add_option("--priority", priority, "lower wins")->required();
    c->add_option("--ipv4-src", ipv4_src);
    c->add_option("--ipv4-dst", ipv4_dst);
    c->add_option("--ipv6-src", ipv6_src);
    c->add_option("--ipv6-dst", ipv6_dst);
    c->add_option("--udp-src", udp_src);
    c->add_option("--udp-dst", udp_dst);
    c->add_option("--tcp-src", tcp_src);
    c->add_option("--tcp-dst", tcp_dst);
    c->add_option("--vlan", vlan);
    c->add_option("--queue", queue);
    c->add_option("--rss", rss_queues, "spread over these queues, e.g. 0-1");
    c->add_flag("--drop", drop);
    c->add_option("--mark", mark);
    c->add_option("--expect-generation", expect_gen);
  }
  auto* flow_del = flow->add_subcommand("del", "delete a rule by name");
  flow_del->add_option("port", port)->required();
  flow_del->add_option("name", name)->required();
  flow_del->add_option("--expect-generation", expect_gen);

  auto* stats = app.add_subcommand("stats", "counters; --watch streams deltas");
  uint32_t watch_ms = 0, count = 0;
  stats->add_option("--watch", watch_ms, "interval in ms: print deltas until interrupted (or --count)");
  stats->add_option("--count", count, "stop after this many deltas");
  auto* events = app.add_subcommand("events", "stream change reports as they happen");
  events->add_option("--count", count, "stop after this many events");
  auto* reports = app.add_subcommand("reports", "the last change reports");
  auto* apply = app.add_subcommand("apply", "apply a deployment file: its steering changes go live");
  std::string file;
  bool dry_run = false;
  apply->add_option("-f,--file", file, "deployment YAML")->required()->check(CLI::ExistingFile);
  apply->add_flag("--dry-run", dry_run, "print what would change and which buckets move; change nothing");
  std::vector<std::string> apply_expect;
  apply->add_option("--expect-generation", apply_expect, "PORT=GENERATION: refuse unless the port is there");
  auto* get = app.add_subcommand("get", "show running configuration");
  std::string what;
  get->add_option("what", what, "running")->required()->check(CLI::IsMember({"running"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  std::shared_ptr<grpc::Channel> channel;
  if (address.empty()) {
    channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  } else if (insecure) {
    channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  } else {
    grpc::SslCredentialsOptions o;
    auto slurp = [](const std::string& path, std::string* out) {
      std::ifstream in(path);
      std::stringstream b;
      b << in.rdbuf();
      *out = b.str();
      return bool(in);
    };
    if ((!ca.empty() && !slurp(ca, &o.pem_root_certs)) || (!cert.empty() && !slurp(cert, &o.pem_cert_chain)) ||
        (!keyfile.empty() && !slurp(keyfile, &o.pem_private_key))) {
      std::fprintf(stderr, "steerctl: cannot read --ca, --cert or --key\n");
      return 2;
    }
    channel = grpc::CreateChannel(address, grpc::SslCredentials(o));
  }
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };

  if (ports->parsed()) {
    auto stub = pb::Ports::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    pb::ListPortsResponse r;
    if (auto s = stub->ListPorts(&ctx, {}, &r); !s.ok()) return fail(s);
    if (g_output != "table")
      print_json(r);
    else {
      std::printf("%-8s %-12s %-18s %-5s %5s %5s %9s %-9s %4s  %s\n", "port", "driver", "mac", "link", "rxq", "txq",
                  "max rx/tx", "steering", "gen", "why / queue owners");
      for (const auto& p : r.ports()) {
        std::string owners;
        for (const auto& q : p.queues())
          owners +=
              " " + std::to_string(q.queue()) + (q.role() == "dispatcher" ? "<d" : "<") + std::to_string(q.lcore());
        std::printf("%-8s %-12s %-18s %-5s %5u %5u %4u/%-4u %-9s %4llu  %s;%s\n", p.name().c_str(), p.driver().c_str(),
                    p.mac().c_str(), p.link_up() ? "up" : "down", p.rx_queues(), p.tx_queues(), p.max_rx_queues(),
                    p.max_tx_queues(), p.steered() ? p.steering_backend().c_str() : "-",
                    (unsigned long long)p.generation(), p.steering_reason().c_str(), owners.c_str());
      }
    }
    return 0;
  }

  auto steering_stub = pb::SteeringService::NewStub(channel);
  auto change = [&](pb::ChangeRequest req) {
    req.set_port(port);
    if (expect_gen >= 0) req.set_expected_generation(uint64_t(expect_gen));
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    pb::ChangeReport rep;
    if (auto s = steering_stub->Change(&ctx, req, &rep); !s.ok()) return fail(s);
    print_report(rep);
    return 0;
  };

  if (rss_show->parsed() || flow_list->parsed()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    pb::GetSteeringRequest req;
    req.set_port(port);
    pb::Steering st;
    if (auto s = steering_stub->GetSteering(&ctx, req, &st); !s.ok()) return fail(s);
    if (g_output != "table") {
      if (rss_show->parsed())
        print_json(st);
      else {
        pb::Steering only;
        *only.mutable_flows() = st.flows();
        print_json(only);
      }
      return 0;
    }
    if (rss_show->parsed()) {
      std::string t;
      for (const auto& x : st.rss().types()) t += (t.empty() ? "" : ",") + x;
      std::printf("port %s: %s steering, generation %llu\ntypes %s\nkey   %s\nreta  (%d)", st.port().c_str(),
                  st.backend().c_str(), (unsigned long long)st.generation(), t.c_str(), st.rss().key().c_str(),
                  st.rss().reta_size());
      for (int i = 0; i < st.rss().reta_size(); ++i) std::printf("%s%u", i % 32 ? " " : "\n  ", st.rss().reta(i));
      std::printf("\n");
    } else {
      std::printf("%-16s %8s  %s\n", "name", "priority", "match -> action");
      for (const auto& f : st.flows()) {
        std::string m, a;
        const auto& x = f.match();
        if (!x.ipv4_src().empty()) m += " ipv4_src=" + x.ipv4_src();
        if (!x.ipv4_dst().empty()) m += " ipv4_dst=" + x.ipv4_dst();
        if (!x.ipv6_src().empty()) m += " ipv6_src=" + x.ipv6_src();
        if (!x.ipv6_dst().empty()) m += " ipv6_dst=" + x.ipv6_dst();
        if (x.has_udp_dst()) m += " udp_dst=" + std::to_string(x.udp_dst().value());
        if (x.has_udp_src()) m += " udp_src=" + std::to_string(x.udp_src().value());
        if (x.has_tcp_dst()) m += " tcp_dst=" + std::to_string(x.tcp_dst().value());
        if (x.has_tcp_src()) m += " tcp_src=" + std::to_string(x.tcp_src().value());
        if (f.action().has_queue()) a += " queue " + std::to_string(f.action().queue());
        if (f.action().rss_size()) a += " rss";
        if (f.action().drop()) a += " drop";
        if (f.action().has_mark()) a += " mark " + std::to_string(f.action().mark());
        std::printf("%-16s %8u %s ->%s\n", f.name().c_str(), f.priority(), m.empty() ? " any" : m.c_str(), a.c_str());
      }
    }
    return 0;
  }

  if (set_reta->parsed()) {
    pb::ChangeRequest req;
    auto* r = req.mutable_reta();
    r->set_size(size);
    std::vector<uint32_t> qs;
    if (!spread.empty()) {
      if (!parse_queues(spread, &qs))
        return std::fprintf(stderr, "steerctl: --spread %s: write queues like 0-3 or 0,2\n", spread.c_str()), 2;
      for (auto q : qs) r->add_spread(q);
    } else if (!entries.empty()) {
      std::stringstream ss(entries);
      for (std::string e; std::getline(ss, e, ',');) {
        try {
          r->add_entries(uint32_t(std::stoul(e)));
        } catch (...) {
          return std::fprintf(stderr, "steerctl: --entries: \"%s\" is not a queue\n", e.c_str()), 2;
        }
      }
    } else if (!weights.empty()) {
      std::stringstream ss(weights);
      for (std::string e; std::getline(ss, e, ',');) {
        size_t eq = e.find('=');
        try {
          if (eq == std::string::npos) throw 0;
          (*r->mutable_weights())[uint32_t(std::stoul(e.substr(0, eq)))] = uint32_t(std::stoul(e.substr(eq + 1)));
        } catch (...) {
          return std::fprintf(stderr, "steerctl: --weights: \"%s\" is not queue=weight\n", e.c_str()), 2;
        }
      }
    } else {
      std::fprintf(stderr, "steerctl: set-reta needs --spread, --weights or --entries\n");
      return 2;
    }
    return change(req);
  }

  if (set_key->parsed()) {
    pb::ChangeRequest req;
    req.set_key(key);
    std::stringstream ss(types);
    for (std::string t; std::getline(ss, t, ',');) req.add_types(t);
    if (key.empty() && types.empty()) return std::fprintf(stderr, "steerctl: set-key needs a key or --types\n"), 2;
    return change(req);
  }

  if (flow_add->parsed() || flow_replace->parsed()) {
    pb::ChangeRequest req;
    auto* f = req.add_add();
    f->set_name(name);
    f->set_priority(priority);
    auto* m = f->mutable_match();
    if (!ipv4_src.empty()) m->set_ipv4_src(ipv4_src);
    if (!ipv4_dst.empty()) m->set_ipv4_dst(ipv4_dst);
    if (!ipv6_src.empty()) m->set_ipv6_src(ipv6_src);
    if (!ipv6_dst.empty()) m->set_ipv6_dst(ipv6_dst);
    if (udp_src >= 0) m->mutable_udp_src()->set_value(uint32_t(udp_src));
    if (udp_dst >= 0) m->mutable_udp_dst()->set_value(uint32_t(udp_dst));
    if (tcp_src >= 0) m->mutable_tcp_src()->set_value(uint32_t(tcp_src));
    if (tcp_dst >= 0) m->mutable_tcp_dst()->set_value(uint32_t(tcp_dst));
    if (vlan >= 0) m->set_vlan(uint32_t(vlan));
    auto* a = f->mutable_action();
    if (queue >= 0) a->set_queue(uint32_t(queue));
    std::vector<uint32_t> qs;
    if (!rss_queues.empty() && !parse_queues(rss_queues, &qs))
      return std::fprintf(stderr, "steerctl: --rss %s: write queues like 0-1\n", rss_queues.c_str()), 2;
    for (auto q : qs) a->add_rss(q);
    a->set_drop(drop);
    if (mark >= 0) a->set_mark(uint32_t(mark));
    return change(req);
  }

  if (flow_del->parsed()) {
    pb::ChangeRequest req;
    req.add_remove(name);
    return change(req);
  }

  if (get->parsed()) {
    auto stub = pb::Config::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    pb::RunningConfig r;
    if (auto s = stub->GetRunning(&ctx, {}, &r); !s.ok()) return fail(s);
    if (g_output == "json")
      print_json(r);
    else
      std::printf("%s", r.yaml().c_str());
    return 0;
  }

  if (apply->parsed()) {
    std::ifstream in(file);
    std::stringstream buf;
    buf << in.rdbuf();
    auto stub = pb::Config::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    pb::ApplyRequest req;
    req.set_yaml(buf.str());
    req.set_dry_run(dry_run);
    for (const auto& e : apply_expect) {
      const size_t eq = e.find('=');
      try {
        if (eq == std::string::npos) throw 0;
        (*req.mutable_expected_generation())[e.substr(0, eq)] = std::stoull(e.substr(eq + 1));
      } catch (...) {
        std::fprintf(stderr, "steerctl: --expect-generation %s: write PORT=GENERATION\n", e.c_str());
        return 2;
      }
    }
    pb::ApplyResponse r;
    if (auto s = stub->Apply(&ctx, req, &r); !s.ok()) return fail(s);
    if (g_output != "table") return print_json(r), 0;
    bool any = false;
    for (const auto& p : r.plan()) {
      if (!p.changes()) continue;
      any = true;
      std::printf("%s port %s:\n", dry_run ? "would change" : "changed", p.port().c_str());
      if (p.key_changed()) std::printf("  ~ rss.key\n");
      if (p.types_changed()) std::printf("  ~ rss.types\n");
      if (p.reta_changed()) {
        std::string l, g;
        for (auto q : p.losers()) l += " " + std::to_string(q);
        for (auto q : p.gainers()) g += " " + std::to_string(q);
        std::printf("  ~ rss.reta: %u bucket(s) move, from queues%s to queues%s\n", p.buckets_moved(), l.c_str(),
                    g.c_str());
      }
      for (const auto& n : p.rules_added()) std::printf("  + flow %s\n", n.c_str());
      for (const auto& n : p.rules_replaced()) std::printf("  ~ flow %s\n", n.c_str());
      for (const auto& n : p.rules_removed()) std::printf("  - flow %s\n", n.c_str());
    }
    if (!any) std::printf("no changes: the file matches the running deployment\n");
    for (const auto& rep : r.reports()) print_report(rep);
    return 0;
  }

  if (reports->parsed()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    pb::ListReportsResponse r;
    if (auto s = steering_stub->ListReports(&ctx, {}, &r); !s.ok()) return fail(s);
    if (g_output != "table")
      print_json(r);
    else
      for (const auto& x : r.reports()) print_report(x);
    return 0;
  }

  if (stats->parsed()) {
    auto stub = pb::Stats::NewStub(channel);
    auto show = [](const pb::StatsSnapshot& s) {
      if (g_output != "table") return print_json(s);
      std::printf("%-10s %5s %14s %14s %10s %10s %10s %10s %10s\n", "queue", "lcore", "rx", "tx", "tx_drop", "dropped",
                  "reordered", "held", "drain_to");
      for (const auto& q : s.queues())
        std::printf("%-10s %5u %14llu %14llu %10llu %10llu %10llu %10llu %10llu\n",
                    (q.port() + ":" + std::to_string(q.queue())).c_str(), q.lcore(), (unsigned long long)q.rx(),
                    (unsigned long long)q.tx(), (unsigned long long)q.tx_dropped(), (unsigned long long)q.dropped(),
                    (unsigned long long)q.reordered(), (unsigned long long)q.held(),
                    (unsigned long long)q.drain_timeouts());
      for (const auto& d : s.dispatchers())
        std::printf("dispatch %s:%u lcore %u rx %llu rule_drops %llu ring_full %llu held %llu timeouts %llu\n",
                    d.port().c_str(), d.queue(), d.lcore(), (unsigned long long)d.rx(),
                    (unsigned long long)d.rule_drops(), (unsigned long long)d.ring_full(), (unsigned long long)d.held(),
                    (unsigned long long)d.timeouts());
      std::printf("total rx %llu tx %llu reordered %llu\n", (unsigned long long)s.rx(), (unsigned long long)s.tx(),
                  (unsigned long long)s.reordered());
    };
    if (!watch_ms) {
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline());
      pb::StatsSnapshot s;
      if (auto st = stub->GetStats(&ctx, {}, &s); !st.ok()) return fail(st);
      show(s);
      return 0;
    }
    grpc::ClientContext ctx;
    pb::WatchStatsRequest req;
    req.set_interval_ms(watch_ms);
    return follow<pb::StatsSnapshot>(ctx, stub->WatchStats(&ctx, req), count, show);
  }

  if (events->parsed()) {
    auto stub = pb::Events::NewStub(channel);
    grpc::ClientContext ctx;
    return follow<pb::Event>(ctx, stub->WatchEvents(&ctx, {}), count, [](const pb::Event& e) {
      if (g_output != "table")
        print_json(e);
      else if (e.has_change())
        print_report(e.change());
      else if (e.has_link())
        std::printf("link %s %s %u Mb/s\n", e.link().port().c_str(), e.link().up() ? "up" : "down",
                    e.link().speed_mbps());
    });
  }
  return 2;
}
