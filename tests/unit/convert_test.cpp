// rpc/convert: proto <-> model by field name, so a counter or a rule field
// that the proto lacks is found here rather than dropped on the wire.
#include "convert.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "steer/text.h"

namespace steer::rpc {
namespace {

TEST(Convert, EveryCounterAndRuleFieldHasItsProtoField) {
  EXPECT_THAT(unfilled_stats_fields(), ::testing::IsEmpty());
}

TEST(Convert, RuleRoundTripsThroughTheProto) {
  FlowRule r{"all", 7, {}, {}};
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{{"eth_type", "0x0800"},
                                                                      {"vlan", "7"},
                                                                      {"ipv4_dst", "10.1.0.0/16"},
                                                                      {"ipv6_src", "2001:db8::/48"},
                                                                      {"ip_proto", "6"},
                                                                      {"tcp_dst", "0x50/0xfff0"},
                                                                      {"udp_src", "53"},
                                                                      {"rss", "0,1"},
                                                                      {"mark", "9"}})
    ASSERT_EQ(set_rule_field(&r, k, v), "") << k;
  pb::FlowRule o;
  to_proto(r, &o);
  EXPECT_EQ(o.match().ipv4_dst(), "10.1.0.0/16");
  EXPECT_EQ(o.match().tcp_dst().mask(), 0xfff0u);
  EXPECT_EQ(o.action().rss_size(), 2);
  FlowRule back;
  ASSERT_TRUE(from_proto(o, "add[0]", &back).ok());
  EXPECT_EQ(back, r);
}

// from_proto reads the match and action through the generated accessors, a
// list written by hand: each field of the proto, set alone through
// reflection to a value the model takes, must come out as that field.
TEST(Convert, EveryProtoRuleFieldReachesTheModel) {
  using google::protobuf::FieldDescriptor;
  for (const auto* d : {pb::FlowMatch::descriptor(), pb::FlowAction::descriptor()})
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* fd = d->field(i);
      pb::FlowRule o;
      o.set_name("one");
      google::protobuf::Message* m = d == pb::FlowMatch::descriptor()
                                         ? static_cast<google::protobuf::Message*>(o.mutable_match())
                                         : o.mutable_action();
      const auto* refl = m->GetReflection();
      if (fd->is_repeated())
        refl->AddUInt32(m, fd, 1);
      else if (fd->type() == FieldDescriptor::TYPE_STRING)
        refl->SetString(m, fd, fd->name().find("ipv6") == 0 ? "2001:db8::/32" : "10.0.0.0/8");
      else if (fd->type() == FieldDescriptor::TYPE_BOOL)
        refl->SetBool(m, fd, true);
      else if (fd->type() == FieldDescriptor::TYPE_MESSAGE)
        static_cast<pb::PortMatch*>(refl->MutableMessage(m, fd))->set_value(53);
      else
        refl->SetUInt32(m, fd, 6);
      FlowRule r;
      ASSERT_TRUE(from_proto(o, "add[0]", &r).ok()) << fd->name();
      std::vector<std::string> keys;
      for (const auto& f : rule_fields(r)) keys.push_back(f.key);
      EXPECT_THAT(keys, ::testing::ElementsAre(fd->name())) << "proto field " << fd->full_name();
    }
}

TEST(Convert, ARuleRefusedNamesItsProtoPath) {
  pb::FlowRule o;
  o.set_name("x");
  o.mutable_match()->set_vlan(5000);
  FlowRule r;
  const grpc::Status s = from_proto(o, "add[2]", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("add[2].match.vlan: "));
  o.mutable_match()->clear_vlan();
  o.mutable_match()->mutable_udp_dst()->set_value(53);  // mask 0: exact
  ASSERT_TRUE(from_proto(o, "add[2]", &r).ok());
  EXPECT_EQ(r.match.udp_dst->mask, 0xffff);
}

TEST(Convert, StatsAndTheirDeltasFollowTheFieldTables) {
  StatsSnapshot a;
  a.queues.push_back({"p0", 1, 2, 0, {}});
  a.queues[0].s.rx = 100;
  a.queues[0].s.busy_cycles = 5000;
  StatsSnapshot::Dispatcher d;
  d.port = "p0";
  d.ring_full = 3;
  a.dispatchers.push_back(d);
  StatsSnapshot::Lcore l;
  l.lcore = 2;
  l.sleeps = 4;
  a.lcores.push_back(l);
  pb::StatsSnapshot pa, pb2;
  to_proto(a, &pa);
  EXPECT_EQ(pa.queues(0).busy_cycles(), 5000u);
  EXPECT_EQ(pa.queues(0).via_dispatch(), 0);
  EXPECT_EQ(pa.dispatchers(0).ring_full(), 3u);
  EXPECT_EQ(pa.lcores(0).sleeps(), 4u);
  EXPECT_EQ(pa.rx(), 100u);
  StatsSnapshot b = a;
  b.queues[0].s.rx = 160;
  b.dispatchers[0].ring_full = 10;
  b.lcores[0].sleeps = 5;
  to_proto(b, &pb2);
  const pb::StatsSnapshot dd = delta(pb2, pa);
  EXPECT_EQ(dd.queues(0).rx(), 60u);
  EXPECT_EQ(dd.queues(0).busy_cycles(), 0u);
  EXPECT_EQ(dd.dispatchers(0).ring_full(), 7u);
  EXPECT_EQ(dd.lcores(0).sleeps(), 1u);
  EXPECT_EQ(dd.rx(), 60u);
  EXPECT_EQ(dd.queues(0).queue(), 1u) << "labels are not deltas";
}

}  // namespace
}  // namespace steer::rpc
