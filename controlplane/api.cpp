#include "api.h"

#include <arpa/inet.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "apply.h"
#include "config.h"
#include "steer/steering.h"
#include "steer/v1/steer.grpc.pb.h"

namespace steer {
namespace {

namespace pb = ::steer::v1;

grpc::Status status_of(const std::vector<ConfigError>& errs) {
  const ConfigError& e = errs.front();
  std::string msg = (e.path.empty() ? "" : e.path + ": ") + e.message;
  for (size_t i = 1; i < errs.size(); ++i) msg += "; " + errs[i].path + ": " + errs[i].message;
  switch (e.kind) {
    case ErrorKind::NotFound:
      return {grpc::StatusCode::NOT_FOUND, msg};
    case ErrorKind::Precondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, msg};
    case ErrorKind::Unavailable:
      return {grpc::StatusCode::UNAVAILABLE, msg};
    case ErrorKind::Invalid:
      break;
  }
  return {grpc::StatusCode::INVALID_ARGUMENT, msg};
}

grpc::Status invalid(const std::string& path, const std::string& msg) {
  return {grpc::StatusCode::INVALID_ARGUMENT, path + ": " + msg};
}

template <size_t N>
std::string prefix_of(const std::array<uint8_t, N>& a, uint8_t len) {
  return format_prefix(a.data(), N, len);
}

template <size_t N>
bool prefix_from(const std::string& t, std::optional<std::array<uint8_t, N>>* addr, uint8_t* len) {
  std::array<uint8_t, N> b{};
  if (!parse_prefix(t, N, b.data(), len)) return false;
  *addr = b;
  return true;
}

void to_proto(const FlowRule& r, pb::FlowRule* o) {
  o->set_name(r.name);
  o->set_priority(r.priority);
  auto* m = o->mutable_match();
  if (r.match.eth_type) m->set_eth_type(*r.match.eth_type);
  if (r.match.vlan) m->set_vlan(*r.match.vlan);
  if (r.match.ipv4_src) m->set_ipv4_src(prefix_of(*r.match.ipv4_src, r.match.ipv4_src_len));
  if (r.match.ipv4_dst) m->set_ipv4_dst(prefix_of(*r.match.ipv4_dst, r.match.ipv4_dst_len));
  if (r.match.ipv6_src) m->set_ipv6_src(prefix_of(*r.match.ipv6_src, r.match.ipv6_src_len));
  if (r.match.ipv6_dst) m->set_ipv6_dst(prefix_of(*r.match.ipv6_dst, r.match.ipv6_dst_len));
  if (r.match.ip_proto) m->set_ip_proto(*r.match.ip_proto);
  auto port = [](const std::optional<PortMatch>& p, pb::PortMatch* out) {
    if (!p) return;
    out->set_value(p->value);
    out->set_mask(p->mask);
  };
  if (r.match.tcp_src) port(r.match.tcp_src, m->mutable_tcp_src());
  if (r.match.tcp_dst) port(r.match.tcp_dst, m->mutable_tcp_dst());
  if (r.match.udp_src) port(r.match.udp_src, m->mutable_udp_src());
  if (r.match.udp_dst) port(r.match.udp_dst, m->mutable_udp_dst());
  auto* a = o->mutable_action();
  if (r.action.queue) a->set_queue(*r.action.queue);
  for (uint16_t q : r.action.rss) a->add_rss(q);
  a->set_drop(r.action.drop);
  if (r.action.mark) a->set_mark(*r.action.mark);
}

grpc::Status from_proto(const pb::FlowRule& o, const std::string& path, FlowRule* r) {
  r->name = o.name();
  r->priority = o.priority();
  const auto& m = o.match();
  const std::string mp = path + ".match";
  if (m.has_eth_type()) {
    if (m.eth_type() > 0xffff) return invalid(mp + ".eth_type", "not an EtherType");
    r->match.eth_type = uint16_t(m.eth_type());
  }
  if (m.has_vlan()) {
    if (m.vlan() > 4095) return invalid(mp + ".vlan", std::to_string(m.vlan()) + " is not a VLAN id (0-4095)");
    r->match.vlan = uint16_t(m.vlan());
  }
  if (!m.ipv4_src().empty() && !prefix_from<4>(m.ipv4_src(), &r->match.ipv4_src, &r->match.ipv4_src_len))
    return invalid(mp + ".ipv4_src", "\"" + m.ipv4_src() + "\" is not an IPv4 prefix like 10.0.0.0/24");
  if (!m.ipv4_dst().empty() && !prefix_from<4>(m.ipv4_dst(), &r->match.ipv4_dst, &r->match.ipv4_dst_len))
    return invalid(mp + ".ipv4_dst", "\"" + m.ipv4_dst() + "\" is not an IPv4 prefix like 10.0.0.0/24");
  if (!m.ipv6_src().empty() && !prefix_from<16>(m.ipv6_src(), &r->match.ipv6_src, &r->match.ipv6_src_len))
    return invalid(mp + ".ipv6_src", "\"" + m.ipv6_src() + "\" is not an IPv6 prefix like 2001:db8::/32");
  if (!m.ipv6_dst().empty() && !prefix_from<16>(m.ipv6_dst(), &r->match.ipv6_dst, &r->match.ipv6_dst_len))
    return invalid(mp + ".ipv6_dst", "\"" + m.ipv6_dst() + "\" is not an IPv6 prefix like 2001:db8::/32");
  if (m.has_ip_proto()) {
    if (m.ip_proto() > 255) return invalid(mp + ".ip_proto", "not an IP protocol (0-255)");
    r->match.ip_proto = uint8_t(m.ip_proto());
  }
  auto port = [&](bool has, const pb::PortMatch& p, const char* name, std::optional<PortMatch>* out) -> grpc::Status {
    if (!has) return grpc::Status::OK;
    const uint32_t mask = p.mask() ? p.mask() : 0xffff;
    if (p.value() > 0xffff || mask > 0xffff) return invalid(mp + "." + name, "ports and masks are 16 bits");
    *out = PortMatch{uint16_t(p.value()), uint16_t(mask)};
    return grpc::Status::OK;
  };
  for (auto s : {port(m.has_tcp_src(), m.tcp_src(), "tcp_src", &r->match.tcp_src),
                 port(m.has_tcp_dst(), m.tcp_dst(), "tcp_dst", &r->match.tcp_dst),
                 port(m.has_udp_src(), m.udp_src(), "udp_src", &r->match.udp_src),
                 port(m.has_udp_dst(), m.udp_dst(), "udp_dst", &r->match.udp_dst)})
    if (!s.ok()) return s;
  const auto& a = o.action();
  if (a.has_queue()) r->action.queue = uint16_t(std::min<uint32_t>(a.queue(), 0xffff));
  for (uint32_t q : a.rss()) r->action.rss.push_back(uint16_t(std::min<uint32_t>(q, 0xffff)));
  r->action.drop = a.drop();
  if (a.has_mark()) r->action.mark = a.mark();
  return grpc::Status::OK;
}

void to_proto(const ChangeReport& r, pb::ChangeReport* o) {
  o->set_id(r.id);
  o->set_port(r.port);
  o->set_generation(r.generation);
  o->set_buckets_moved(r.buckets_moved);
  for (auto q : r.losers) o->add_losers(q);
  for (auto q : r.gainers) o->add_gainers(q);
  o->set_drained(r.drained);
  o->set_apply_us(r.apply_us);
  o->set_drain_us(r.drain_us);
  o->set_held(r.held);
  o->set_longest_hold_us(r.longest_hold_us);
  o->set_timeouts(r.timeouts);
}

void to_proto(const StatsSnapshot& s, pb::StatsSnapshot* o) {
  for (const auto& q : s.queues) {
    auto* x = o->add_queues();
    x->set_port(q.port);
    x->set_queue(q.queue);
    x->set_lcore(q.lcore);
    x->set_rx(q.s.rx);
    x->set_tx(q.s.tx);
    x->set_tx_dropped(q.s.tx_dropped);
    x->set_dropped(q.s.dropped);
    x->set_reordered(q.s.reordered);
    x->set_empty_polls(q.s.empty_polls);
    x->set_held(q.s.held);
    x->set_drain_timeouts(q.s.drain_timeouts);
    o->set_rx(o->rx() + q.s.rx);
    o->set_tx(o->tx() + q.s.tx);
    o->set_reordered(o->reordered() + q.s.reordered);
  }
  for (const auto& d : s.dispatchers) {
    auto* x = o->add_dispatchers();
    x->set_port(d.port);
    x->set_queue(d.queue);
    x->set_lcore(d.lcore);
    x->set_rx(d.rx);
    x->set_rule_drops(d.rule_drops);
    x->set_ring_full(d.ring_full);
    x->set_held(d.held);
    x->set_timeouts(d.timeouts);
    x->set_marked(d.marked);
  }
  for (const auto& p : s.ports) {
    auto* x = o->add_ports();
    x->set_name(p.name);
    x->set_ipackets(p.ipackets);
    x->set_opackets(p.opackets);
    x->set_imissed(p.imissed);
    x->set_ierrors(p.ierrors);
    x->set_oerrors(p.oerrors);
    x->set_rx_nombuf(p.rx_nombuf);
  }
  for (const auto& p : s.pools) {
    auto* x = o->add_pools();
    x->set_name(p.name);
    x->set_size(p.size);
    x->set_in_use(p.in_use);
  }
}

// Counters minus the previous snapshot's (gauges such as pool use stay).
pb::StatsSnapshot delta(const pb::StatsSnapshot& now, const pb::StatsSnapshot& prev) {
  pb::StatsSnapshot d = now;
  for (int i = 0; i < d.queues_size() && i < prev.queues_size(); ++i) {
    auto* q = d.mutable_queues(i);
    const auto& p = prev.queues(i);
    q->set_rx(q->rx() - p.rx());
    q->set_tx(q->tx() - p.tx());
    q->set_tx_dropped(q->tx_dropped() - p.tx_dropped());
    q->set_dropped(q->dropped() - p.dropped());
    q->set_reordered(q->reordered() - p.reordered());
    q->set_empty_polls(q->empty_polls() - p.empty_polls());
    q->set_held(q->held() - p.held());
    q->set_drain_timeouts(q->drain_timeouts() - p.drain_timeouts());
  }
  for (int i = 0; i < d.dispatchers_size() && i < prev.dispatchers_size(); ++i) {
    auto* x = d.mutable_dispatchers(i);
    const auto& p = prev.dispatchers(i);
    x->set_rx(x->rx() - p.rx());
    x->set_rule_drops(x->rule_drops() - p.rule_drops());
    x->set_ring_full(x->ring_full() - p.ring_full());
    x->set_held(x->held() - p.held());
    x->set_timeouts(x->timeouts() - p.timeouts());
    x->set_marked(x->marked() - p.marked());
  }
  for (int i = 0; i < d.ports_size() && i < prev.ports_size(); ++i) {
    auto* x = d.mutable_ports(i);
    const auto& p = prev.ports(i);
    x->set_ipackets(x->ipackets() - p.ipackets());
    x->set_opackets(x->opackets() - p.opackets());
    x->set_imissed(x->imissed() - p.imissed());
    x->set_ierrors(x->ierrors() - p.ierrors());
    x->set_oerrors(x->oerrors() - p.oerrors());
    x->set_rx_nombuf(x->rx_nombuf() - p.rx_nombuf());
  }
  d.set_rx(now.rx() - prev.rx());
  d.set_tx(now.tx() - prev.tx());
  d.set_reordered(now.reordered() - prev.reordered());
  return d;
}

}  // namespace

struct ControlServer::Impl {
  Dataplane& dp;
  const Deployment& d;
  std::unique_ptr<grpc::Server> server;
  std::atomic<bool> stopping{false};
  std::string where;

  std::mutex events_mu;  // guards events, events_seq
  std::condition_variable events_cv;
  std::deque<pb::Event> events;
  uint64_t events_seq = 0;  // sequence number of events.back()

  Impl(Dataplane& p, const Deployment& dep) : dp(p), d(dep) {}

  void publish(const ChangeReport& r) {
    pb::Event e;
    to_proto(r, e.mutable_change());
    publish(std::move(e));
  }
  void publish(pb::Event e) {
    e.set_time_unix_ns(uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count()));
    {
      std::lock_guard<std::mutex> lock(events_mu);
      events.push_back(e);
      if (events.size() > 1024) events.pop_front();
      ++events_seq;
    }
    events_cv.notify_all();
  }

  struct PortsService final : pb::Ports::Service {
    Impl& m;
    explicit PortsService(Impl& i) : m(i) {}
    void fill(size_t i, pb::Port* o) {
      const auto& pc = m.d.ports[i];
      const auto& pi = m.dp.ports()[i];
      o->set_name(pc.name);
      o->set_device(pc.device);
      o->set_driver(pi.caps.driver);
      o->set_port_id(pi.port_id);
      o->set_socket(pi.socket);
      o->set_mac(format_mac(pi.mac));
      o->set_rx_queues(pc.rx_queues);
      o->set_tx_queues(pc.tx_queues);
      o->set_max_rx_queues(pi.caps.max_rx_queues);
      o->set_max_tx_queues(pi.caps.max_tx_queues);
      o->set_steered(pi.steered);
      o->set_steering_backend(pi.steered ? to_string(pi.backend) : "");
      o->set_steering_reason(pi.backend_reason);
      o->set_generation(m.dp.generation(pc.name));
      const auto links = m.dp.links();
      if (i < links.size()) {
        o->set_link_up(links[i].up);
        o->set_link_speed_mbps(links[i].speed_mbps);
      }
      for (const auto& lc : m.d.lcores) {
        for (QueueId q : lc.poll)
          if (q.port == i) {
            auto* x = o->add_queues();
            x->set_queue(q.queue);
            x->set_lcore(lc.lcore);
            x->set_role("worker");
          }
        for (QueueId q : lc.dispatch)
          if (q.port == i) {
            auto* x = o->add_queues();
            x->set_queue(q.queue);
            x->set_lcore(lc.lcore);
            x->set_role("dispatcher");
          }
      }
    }
    grpc::Status ListPorts(grpc::ServerContext*, const pb::ListPortsRequest*, pb::ListPortsResponse* out) override {
      if (!m.dp.running()) return {grpc::StatusCode::UNAVAILABLE, "steerd is starting or stopping"};
      for (size_t i = 0; i < m.d.ports.size(); ++i) fill(i, out->add_ports());
      return grpc::Status::OK;
    }
    grpc::Status GetPort(grpc::ServerContext*, const pb::GetPortRequest* req, pb::Port* out) override {
      if (!m.dp.running()) return {grpc::StatusCode::UNAVAILABLE, "steerd is starting or stopping"};
      for (size_t i = 0; i < m.d.ports.size(); ++i)
        if (m.d.ports[i].name == req->port()) {
          fill(i, out);
          return grpc::Status::OK;
        }
      return {grpc::StatusCode::NOT_FOUND, "port: no port named \"" + req->port() + "\""};
    }
  };

  struct SteeringServiceImpl final : pb::SteeringService::Service {
    Impl& m;
    explicit SteeringServiceImpl(Impl& i) : m(i) {}
    grpc::Status GetSteering(grpc::ServerContext*, const pb::GetSteeringRequest* req, pb::Steering* out) override {
      auto cfg = m.dp.steering(req->port());
      size_t i = 0;
      while (i < m.d.ports.size() && m.d.ports[i].name != req->port()) ++i;
      if (i == m.d.ports.size()) return {grpc::StatusCode::NOT_FOUND, "port: no port named \"" + req->port() + "\""};
      if (!cfg) return {grpc::StatusCode::FAILED_PRECONDITION, "port " + req->port() + " has no steering"};
      out->set_port(req->port());
      out->set_generation(m.dp.generation(req->port()));
      out->set_mode(to_string(cfg->mode));
      out->set_backend(to_string(m.dp.ports()[i].backend));
      for (auto [name, bit] : kRssTypeNames)
        if (cfg->rss.types & bit) out->mutable_rss()->add_types(name);
      out->mutable_rss()->set_key(to_hex(cfg->rss.key));
      for (uint16_t q : cfg->rss.reta) out->mutable_rss()->add_reta(q);
      for (const auto& r : cfg->flows) to_proto(r, out->add_flows());
      out->set_drain(cfg->drain);
      out->set_drain_timeout_ms(cfg->drain_timeout_ms);
      return grpc::Status::OK;
    }
    grpc::Status Change(grpc::ServerContext*, const pb::ChangeRequest* req, pb::ChangeReport* out) override {
      auto cur = m.dp.steering(req->port());
      SteeringChange c;
      if (req->has_expected_generation()) c.expected_generation = req->expected_generation();
      if (!req->key().empty()) {
        std::vector<uint8_t> k;
        if (!parse_hex(req->key(), &k)) return invalid("key", "\"" + req->key() + "\" is not hex");
        c.key = k;
      }
      if (req->types_size()) {
        uint32_t t = 0;
        for (int i = 0; i < req->types_size(); ++i) {
          uint32_t bit = 0;
          for (auto [name, b] : kRssTypeNames)
            if (req->types(i) == name) bit = b;
          if (!bit)
            return invalid(
                "types[" + std::to_string(i) + "]",
                "\"" + req->types(i) + "\" is not a hash type; use ipv4, ipv4-tcp, ipv4-udp, ipv6, ipv6-tcp, ipv6-udp");
          t |= bit;
        }
        c.types = t;
      }
      if (req->has_reta()) {
        const auto& r = req->reta();
        const uint32_t size = r.size() ? r.size() : (cur ? uint32_t(cur->rss.reta.size()) : 128u);
        const int kinds = int(r.entries_size() > 0) + int(r.spread_size() > 0) + int(r.weights_size() > 0);
        if (kinds != 1) return invalid("reta", "give exactly one of entries, spread or weights");
        if (size > 65536) return invalid("reta.size", std::to_string(size) + " entries; a RETA has 1 to 65536");
        auto q16 = [](uint32_t q) { return uint16_t(std::min<uint32_t>(q, 0xffff)); };
        if (r.entries_size()) {
          std::vector<uint16_t> e;
          for (uint32_t q : r.entries()) e.push_back(q16(q));
          c.reta = e;
        } else if (r.spread_size()) {
          std::vector<uint16_t> qs;
          for (uint32_t q : r.spread()) qs.push_back(q16(q));
          c.reta = reta_spread(size, qs);
        } else {
          std::map<uint16_t, uint32_t> w;
          for (const auto& [q, wt] : r.weights()) w[q16(q)] = wt;
          c.reta = reta_weights(size, w);
        }
      }
      for (int i = 0; i < req->add_size(); ++i) {
        FlowRule r;
        if (auto s = from_proto(req->add(i), "add[" + std::to_string(i) + "]", &r); !s.ok()) return s;
        c.add.push_back(r);
      }
      for (const auto& n : req->remove()) c.remove.push_back(n);
      ChangeReport rep;
      auto errs = m.dp.change_steering(req->port(), c, &rep);
      if (!errs.empty()) return status_of(errs);
      to_proto(rep, out);
      m.publish(rep);
      return grpc::Status::OK;
    }
    grpc::Status ListReports(grpc::ServerContext*, const pb::ListReportsRequest*,
                             pb::ListReportsResponse* out) override {
      for (const auto& r : m.dp.change_reports()) to_proto(r, out->add_reports());
      return grpc::Status::OK;
    }
  };

  struct StatsService final : pb::Stats::Service {
    Impl& m;
    explicit StatsService(Impl& i) : m(i) {}
    grpc::Status GetStats(grpc::ServerContext*, const pb::GetStatsRequest*, pb::StatsSnapshot* out) override {
      if (!m.dp.running()) return {grpc::StatusCode::UNAVAILABLE, "steerd is starting or stopping"};
      to_proto(m.dp.stats(), out);
      return grpc::Status::OK;
    }
    grpc::Status WatchStats(grpc::ServerContext* ctx, const pb::WatchStatsRequest* req,
                            grpc::ServerWriter<pb::StatsSnapshot>* w) override {
      const auto interval = std::chrono::milliseconds(std::max<uint32_t>(req->interval_ms(), 100));
      pb::StatsSnapshot prev;
      to_proto(m.dp.stats(), &prev);
      while (!ctx->IsCancelled() && !m.stopping.load()) {
        std::this_thread::sleep_for(interval);
        if (!m.dp.running()) break;
        pb::StatsSnapshot now;
        to_proto(m.dp.stats(), &now);
        if (!w->Write(delta(now, prev))) break;
        prev = now;
      }
      return grpc::Status::OK;
    }
  };

  struct EventsService final : pb::Events::Service {
    Impl& m;
    explicit EventsService(Impl& i) : m(i) {}
    grpc::Status WatchEvents(grpc::ServerContext* ctx, const pb::WatchEventsRequest*,
                             grpc::ServerWriter<pb::Event>* w) override {
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(m.events_mu);
        seen = m.events_seq;  // only what happens from now on
      }
      while (!ctx->IsCancelled() && !m.stopping.load()) {
        std::vector<pb::Event> fresh;
        {
          std::unique_lock<std::mutex> lock(m.events_mu);
          m.events_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return m.events_seq != seen; });
          const uint64_t n = std::min<uint64_t>(m.events_seq - seen, m.events.size());
          for (uint64_t k = m.events.size() - n; k < m.events.size(); ++k) fresh.push_back(m.events[k]);
          seen = m.events_seq;
        }
        for (const auto& e : fresh)
          if (!w->Write(e)) return grpc::Status::OK;
      }
      return grpc::Status::OK;
    }
  };

  struct ConfigService final : pb::Config::Service {
    Impl& m;
    explicit ConfigService(Impl& i) : m(i) {}
    grpc::Status GetRunning(grpc::ServerContext*, const pb::GetRunningRequest*, pb::RunningConfig* out) override {
      out->set_yaml(to_yaml(running_deployment(m.dp, m.d)));
      return grpc::Status::OK;
    }
    grpc::Status Apply(grpc::ServerContext*, const pb::ApplyRequest* req, pb::ApplyResponse* out) override {
      std::istringstream in(req->yaml());
      ConfigResult desired = load_config(in, "<apply>");
      if (!desired.ok()) {
        std::string msg;
        for (const auto& e : desired.errors) msg += (msg.empty() ? "" : "; ") + e;
        return {grpc::StatusCode::INVALID_ARGUMENT, msg};
      }
      std::map<std::string, uint64_t> expected(req->expected_generation().begin(), req->expected_generation().end());
      ApplyOutcome r =
          apply_deployment(m.dp, running_deployment(m.dp, m.d), desired.deployment, req->dry_run(), expected);
      if (!r.errors.empty()) return status_of(r.errors);
      for (const auto& pp : r.plan) {
        auto* x = out->add_plan();
        x->set_port(pp.port);
        x->set_changes(pp.changes);
        x->set_key_changed(pp.key_changed);
        x->set_types_changed(pp.types_changed);
        x->set_reta_changed(pp.reta_changed);
        for (const auto& n : pp.added) x->add_rules_added(n);
        for (const auto& n : pp.removed) x->add_rules_removed(n);
        for (const auto& n : pp.replaced) x->add_rules_replaced(n);
        x->set_buckets_moved(pp.would.buckets_moved);
        for (auto q : pp.would.losers) x->add_losers(q);
        for (auto q : pp.would.gainers) x->add_gainers(q);
      }
      for (const auto& rep : r.reports) {
        to_proto(rep, out->add_reports());
        m.publish(rep);
      }
      return grpc::Status::OK;
    }
  };

  // Link changes become events: polled twice a second, off the lcores.
  std::thread link_watcher;
  void watch_links() {
    std::vector<Dataplane::Link> last = dp.links();
    while (!stopping.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (!dp.running()) continue;
      auto now = dp.links();
      for (size_t i = 0; i < now.size() && i < last.size() && i < d.ports.size(); ++i)
        if (now[i].up != last[i].up || now[i].speed_mbps != last[i].speed_mbps) {
          pb::Event e;
          e.mutable_link()->set_port(d.ports[i].name);
          e.mutable_link()->set_up(now[i].up);
          e.mutable_link()->set_speed_mbps(now[i].speed_mbps);
          publish(std::move(e));
        }
      last = now;
    }
  }

  PortsService ports{*this};
  ConfigService config{*this};
  SteeringServiceImpl steering{*this};
  StatsService stats{*this};
  EventsService events_service{*this};
};

ControlServer::ControlServer(Dataplane& dp, const Deployment& d) : impl_(std::make_unique<Impl>(dp, d)) {}
ControlServer::~ControlServer() {
  shutdown();
}

namespace {

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream b;
  b << in.rdbuf();
  *out = b.str();
  return true;
}

}  // namespace

bool ControlServer::start(const ControlConfig& c, std::string* why) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder b;
  std::string where;
  if (!c.socket.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(c.socket).parent_path(), ec);
    std::filesystem::remove(c.socket, ec);  // a stale socket from a previous run
    b.AddListeningPort("unix:" + c.socket, grpc::InsecureServerCredentials());
    where = "unix:" + c.socket;
  }
  if (!c.tcp_address.empty()) {
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (c.tls_cert.empty()) {
      creds = grpc::InsecureServerCredentials();  // validate() allowed it: loopback + insecure: true
    } else {
      grpc::SslServerCredentialsOptions o;
      grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
      if (!read_file(c.tls_key, &pair.private_key) || !read_file(c.tls_cert, &pair.cert_chain)) {
        *why = "control.tcp: cannot read the TLS cert \"" + c.tls_cert + "\" or key \"" + c.tls_key + "\"";
        return false;
      }
      o.pem_key_cert_pairs.push_back(pair);
      if (!c.tls_client_ca.empty()) {
        if (!read_file(c.tls_client_ca, &o.pem_root_certs)) {
          *why = "control.tcp.client_ca: cannot read \"" + c.tls_client_ca + "\"";
          return false;
        }
        o.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
      }
      creds = grpc::SslServerCredentials(o);
    }
    b.AddListeningPort(c.tcp_address, creds);
    where += (where.empty() ? "" : ", ") +
             std::string(c.tls_cert.empty()        ? "tcp:"
                         : c.tls_client_ca.empty() ? "tls:"
                                                   : "mtls:") +
             c.tcp_address;
  }
  b.RegisterService(&impl_->ports);
  b.RegisterService(&impl_->config);
  b.RegisterService(&impl_->steering);
  b.RegisterService(&impl_->stats);
  b.RegisterService(&impl_->events_service);
  impl_->server = b.BuildAndStart();
  if (!impl_->server) {
    *why = "the control plane could not listen on " + where + "; check the socket directory and the TCP address";
    return false;
  }
  if (!c.socket.empty()) {
    chmod(c.socket.c_str(), 0660);
    if (!c.group.empty()) {
      group* g = getgrnam(c.group.c_str());
      if (!g || chown(c.socket.c_str(), uid_t(-1), g->gr_gid) != 0) {
        *why = "control.group: cannot give the socket to group \"" + c.group + "\"; does the group exist?";
        impl_->server->Shutdown();
        impl_->server.reset();
        return false;
      }
    }
  }
  impl_->link_watcher = std::thread([this] { impl_->watch_links(); });
  impl_->server->GetHealthCheckService()->SetServingStatus(true);
  impl_->where = where;
  return true;
}

const std::string& ControlServer::where() const {
  return impl_->where;
}

void ControlServer::shutdown() {
  if (!impl_->server) return;
  impl_->stopping.store(true);
  impl_->events_cv.notify_all();
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  impl_->server.reset();
  if (impl_->link_watcher.joinable()) impl_->link_watcher.join();
}

}  // namespace steer
