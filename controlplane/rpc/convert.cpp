#include "convert.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <map>

#include "steer/steering.h"
#include "steer/text.h"

namespace steer::rpc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// ---- rules: model text <-> proto fields, by name ---------------------------

// One rule field's text into the proto field of the same name.
void set_field(Message* m, const std::string& key, const std::string& text, const FlowRule& r) {
  const FieldDescriptor* fd = m->GetDescriptor()->FindFieldByName(key);
  const auto* refl = m->GetReflection();
  if (!fd) return;  // every text key has a proto field: the RuleFieldsMatchTheProto test
  if (key == "rss") {
    for (uint16_t q : r.action.rss) refl->AddUInt32(m, fd, q);
  } else if (fd->type() == FieldDescriptor::TYPE_STRING) {
    refl->SetString(m, fd, text);
  } else if (fd->type() == FieldDescriptor::TYPE_BOOL) {
    refl->SetBool(m, fd, text == "true");
  } else if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {  // PortMatch: value/mask
    auto* pm = static_cast<pb::PortMatch*>(refl->MutableMessage(m, fd));
    const size_t slash = text.find('/');
    pm->set_value(uint32_t(std::stoul(text.substr(0, slash), nullptr, 0)));
    pm->set_mask(slash == std::string::npos ? 0xffff : uint32_t(std::stoul(text.substr(slash + 1), nullptr, 0)));
  } else {
    refl->SetUInt32(m, fd, uint32_t(std::stoul(text, nullptr, 0)));
  }
}

// Every set field of a proto match or action as (name, text), in field
// number order, through the generated accessors: reflection (ListFields,
// a vector of string pairs a rule) was a fifth of a Change's time at 100
// rules a change. Convert.EveryProtoRuleFieldReachesTheModel fails when a
// field is added to the proto and not here.
template <class F>
bool each_field(const pb::FlowMatch& m, F&& f) {
  auto num = [](uint32_t v) { return std::to_string(v); };
  auto port = [](const pb::PortMatch& p) {
    return std::to_string(p.value()) + "/" + std::to_string(p.mask() ? p.mask() : 0xffff);
  };
  return (!m.has_eth_type() || f("eth_type", num(m.eth_type()))) && (!m.has_vlan() || f("vlan", num(m.vlan()))) &&
         (m.ipv4_src().empty() || f("ipv4_src", m.ipv4_src())) &&
         (m.ipv4_dst().empty() || f("ipv4_dst", m.ipv4_dst())) &&
         (m.ipv6_src().empty() || f("ipv6_src", m.ipv6_src())) &&
         (m.ipv6_dst().empty() || f("ipv6_dst", m.ipv6_dst())) &&
         (!m.has_ip_proto() || f("ip_proto", num(m.ip_proto()))) &&
         (!m.has_tcp_src() || f("tcp_src", port(m.tcp_src()))) &&
         (!m.has_tcp_dst() || f("tcp_dst", port(m.tcp_dst()))) &&
         (!m.has_udp_src() || f("udp_src", port(m.udp_src()))) && (!m.has_udp_dst() || f("udp_dst", port(m.udp_dst())));
}

template <class F>
bool each_field(const pb::FlowAction& a, F&& f) {
  std::string rss;
  for (int i = 0; i < a.rss_size(); ++i) rss += (i ? "," : "") + std::to_string(a.rss(i));
  return (!a.has_queue() || f("queue", std::to_string(a.queue()))) && (rss.empty() || f("rss", rss)) &&
         (!a.drop() || f("drop", std::string("true"))) && (!a.has_mark() || f("mark", std::to_string(a.mark())));
}

// ---- counters: field tables <-> proto fields, by name ------------------------

template <class Stats, class Counters, size_t N>
void fill(const CounterField<Stats, Counters> (&fields)[N], const Stats& s, Message* m) {
  const Descriptor* d = m->GetDescriptor();
  for (const auto& f : fields)
    if (const FieldDescriptor* fd = d->FindFieldByName(f.name)) m->GetReflection()->SetUInt64(m, fd, s.*f.value);
}

template <class Stats, class Counters, size_t N>
void read(const CounterField<Stats, Counters> (&fields)[N], const Message& m, Stats* s) {
  const Descriptor* d = m.GetDescriptor();
  for (const auto& f : fields)
    if (const FieldDescriptor* fd = d->FindFieldByName(f.name)) s->*f.value = m.GetReflection()->GetUInt64(m, fd);
}

template <class Stats, class Counters, size_t N>
void subtract(const CounterField<Stats, Counters> (&fields)[N], const Message& prev, Message* now) {
  const Descriptor* d = now->GetDescriptor();
  const auto* r = now->GetReflection();
  for (const auto& f : fields)
    if (const FieldDescriptor* fd = d->FindFieldByName(f.name))
      r->SetUInt64(now, fd, r->GetUInt64(*now, fd) - r->GetUInt64(prev, fd));
}

template <class Stats, class Counters, size_t N>
void missing(const CounterField<Stats, Counters> (&fields)[N], const Descriptor* d, std::vector<std::string>* out) {
  for (const auto& f : fields)
    if (!d->FindFieldByName(f.name)) out->push_back(d->name() + "." + f.name);
}

// Row i of `now` minus row i of `prev`, for every row both have.
template <class Row, class Fields>
void subtract_rows(google::protobuf::RepeatedPtrField<Row>* now, const google::protobuf::RepeatedPtrField<Row>& prev,
                   const Fields& fields) {
  for (int i = 0; i < now->size() && i < prev.size(); ++i) subtract(fields, prev.Get(i), now->Mutable(i));
}

}  // namespace

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

void to_proto(const FlowRule& r, pb::FlowRule* o) {
  o->set_name(r.name);
  o->set_priority(r.priority);
  for (const auto& f : rule_fields(r))
    set_field(f.action ? static_cast<Message*>(o->mutable_action()) : o->mutable_match(), f.key, f.text, r);
}

grpc::Status from_proto(const pb::FlowRule& o, const std::string& path, FlowRule* r) {
  r->name = o.name();
  r->priority = o.priority();
  grpc::Status refused;
  const char* part = "match";
  auto set = [&](const char* key, const std::string& text) {
    std::string why = set_rule_field(r, key, text);
    if (!why.empty()) refused = invalid(path + "." + part + "." + key, why);
    return why.empty();
  };
  if (!each_field(o.match(), set)) return refused;
  part = "action";
  if (!each_field(o.action(), set)) return refused;
  return grpc::Status::OK;
}

grpc::Status from_proto(const pb::ChangeRequest& req, size_t reta_size, SteeringChange* c) {
  // Counts first: nothing is converted for a request over the bounds.
  if (size_t(req.add_size()) > kMaxRules || size_t(req.remove_size()) > kMaxRules)
    return invalid(req.add_size() > req.remove_size() ? "add" : "remove",
                   std::to_string(std::max(req.add_size(), req.remove_size())) + " rules in one change; at most " +
                       std::to_string(kMaxRules));
  if (req.types_size() > 64) return invalid("types", "list each hash type once: " + std::string(kRssTypeList));
  if (req.has_expected_generation()) c->expected_generation = req.expected_generation();
  if (!req.key().empty()) {
    std::vector<uint8_t> k;
    if (!parse_hex(req.key(), &k)) return invalid("key", "\"" + req.key() + "\" is not hex");
    c->key = k;
  }
  if (req.types_size()) {
    uint32_t t = 0;
    for (int i = 0; i < req.types_size(); ++i) {
      const uint32_t bit = rss_type_bit(req.types(i));
      if (!bit)
        return invalid("types[" + std::to_string(i) + "]",
                       "\"" + req.types(i) + "\" is not a hash type; use " + kRssTypeList);
      t |= bit;
    }
    c->types = t;
  }
  if (req.has_reta()) {
    const auto& r = req.reta();
    const uint32_t size = r.size() ? r.size() : uint32_t(reta_size ? reta_size : 128);
    const int kinds = int(r.entries_size() > 0) + int(r.spread_size() > 0) + int(r.weights_size() > 0);
    if (kinds != 1) return invalid("reta", "give exactly one of entries, spread or weights");
    if (size > 65536) return invalid("reta.size", std::to_string(size) + " entries; a RETA has 1 to 65536");
    auto q16 = [](uint32_t q) { return uint16_t(std::min<uint32_t>(q, 0xffff)); };
    if (r.entries_size()) {
      std::vector<uint16_t> e;
      for (uint32_t q : r.entries()) e.push_back(q16(q));
      c->reta = e;
    } else if (r.spread_size()) {
      std::vector<uint16_t> qs;
      for (uint32_t q : r.spread()) qs.push_back(q16(q));
      c->reta = reta_spread(size, qs);
    } else {
      std::map<uint16_t, uint32_t> w;
      for (const auto& [q, wt] : r.weights()) w[q16(q)] = wt;
      c->reta = reta_weights(size, w);
    }
  }
  c->add.reserve(size_t(req.add_size()));
  for (int i = 0; i < req.add_size(); ++i) {
    FlowRule r;
    if (auto s = from_proto(req.add(i), "add[" + std::to_string(i) + "]", &r); !s.ok()) return s;
    c->add.push_back(std::move(r));
  }
  for (const auto& n : req.remove()) c->remove.push_back(n);
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
  QueueStats total;
  for (const auto& q : s.queues) {
    auto* x = o->add_queues();
    x->set_port(q.port);
    x->set_queue(q.queue);
    x->set_lcore(q.lcore);
    x->set_via_dispatch(q.via_dispatch);
    fill(kQueueFields, q.s, x);
    total += q.s;
  }
  for (const auto& l : s.lcores) {
    auto* x = o->add_lcores();
    x->set_lcore(l.lcore);
    fill(kLcoreFields, static_cast<const LcoreStats&>(l), x);
  }
  for (const auto& d : s.dispatchers) {
    auto* x = o->add_dispatchers();
    x->set_port(d.port);
    x->set_queue(d.queue);
    x->set_lcore(d.lcore);
    fill(kDispatchFields, static_cast<const DispatchStats&>(d), x);
  }
  for (const auto& p : s.ports) {
    auto* x = o->add_ports();
    x->set_name(p.name);
    fill(kPortFields, static_cast<const PortStats&>(p), x);
  }
  for (const auto& p : s.pools) {
    auto* x = o->add_pools();
    x->set_name(p.name);
    x->set_size(p.size);
    x->set_in_use(p.in_use);
    x->set_socket(p.socket);
  }
  o->set_rx(total.rx);
  o->set_tx(total.tx);
  o->set_reordered(total.reordered);
  o->set_tsc_hz(s.tsc_hz);
}

StatsSnapshot from_proto(const pb::StatsSnapshot& o) {
  StatsSnapshot s;
  s.tsc_hz = o.tsc_hz();
  for (const auto& x : o.queues()) {
    StatsSnapshot::Queue q;
    q.port = x.port();
    q.queue = uint16_t(x.queue());
    q.lcore = x.lcore();
    q.via_dispatch = x.via_dispatch();
    read(kQueueFields, x, &q.s);
    s.queues.push_back(q);
  }
  for (const auto& x : o.lcores()) {
    StatsSnapshot::Lcore l;
    l.lcore = x.lcore();
    read(kLcoreFields, x, static_cast<LcoreStats*>(&l));
    for (const auto& q : s.queues)
      if (q.lcore == l.lcore) l.total += q.s;
    s.lcores.push_back(l);
  }
  for (const auto& x : o.dispatchers()) {
    StatsSnapshot::Dispatcher d;
    d.port = x.port();
    d.queue = uint16_t(x.queue());
    d.lcore = x.lcore();
    read(kDispatchFields, x, static_cast<DispatchStats*>(&d));
    s.dispatchers.push_back(d);
  }
  for (const auto& x : o.ports()) {
    StatsSnapshot::Port p;
    p.name = x.name();
    read(kPortFields, x, static_cast<PortStats*>(&p));
    s.ports.push_back(p);
  }
  for (const auto& x : o.pools()) {
    StatsSnapshot::Pool p;
    p.name = x.name();
    p.size = x.size();
    p.in_use = x.in_use();
    p.socket = x.socket();
    p.avail = x.size() - x.in_use();
    s.pools.push_back(p);
  }
  return s;
}

pb::StatsSnapshot delta(const pb::StatsSnapshot& now, const pb::StatsSnapshot& prev) {
  pb::StatsSnapshot d = now;
  subtract_rows(d.mutable_queues(), prev.queues(), kQueueFields);
  subtract_rows(d.mutable_lcores(), prev.lcores(), kLcoreFields);
  subtract_rows(d.mutable_dispatchers(), prev.dispatchers(), kDispatchFields);
  subtract_rows(d.mutable_ports(), prev.ports(), kPortFields);
  d.set_rx(now.rx() - prev.rx());
  d.set_tx(now.tx() - prev.tx());
  d.set_reordered(now.reordered() - prev.reordered());
  return d;
}

std::vector<std::string> unfilled_stats_fields() {
  std::vector<std::string> out;
  missing(kQueueFields, pb::QueueStats::descriptor(), &out);
  missing(kLcoreFields, pb::LcoreStats::descriptor(), &out);
  missing(kDispatchFields, pb::DispatcherStats::descriptor(), &out);
  missing(kPortFields, pb::PortStats::descriptor(), &out);
  for (const auto& k : kRuleMatchKeys)
    if (!pb::FlowMatch::descriptor()->FindFieldByName(k)) out.push_back("FlowMatch." + k);
  for (const auto& k : kRuleActionKeys)
    if (!pb::FlowAction::descriptor()->FindFieldByName(k)) out.push_back("FlowAction." + k);
  return out;
}

}  // namespace steer::rpc
