// Tier 1: the YAML loader, validation, sizing and NUMA rules. No EAL.
#include "config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "steer/eal.h"
#include "steer/plan.h"
#include "steer/text.h"
#include "steer/validate.h"

using ::testing::AllOf;
using ::testing::HasSubstr;

namespace steer {
namespace {

const char* kGood =
    R"(eal: {lcores: "0-2", main_lcore: 0, memory_mb: 512, hugepages: false, file_prefix: t, extra_args: []}
mempools: [{socket: 0, mbufs: auto, cache: 256, data_room: 2048}]
ports:
  - name: p0
    device: "net_memif0,role=server,socket=/run/steerd/p0.sock"
    rx_queues: 2
    tx_queues: 2
    rx_desc: 1024
    tx_desc: 1024
    promiscuous: true
lcores:
  - {lcore: 1, poll: [p0:0]}
  - {lcore: 2, poll: [p0:1]}
pipelines:
  - {queues: "p0:*", action: echo}
dataplane: {burst: 32, poll: busy}
numa: warn
)";

ConfigResult load(const std::string& text) {
  std::istringstream in(text);
  return load_config(in, "t.yaml");
}

// Replace the first occurrence of `from` in the good config with `to`.
ConfigResult load_with(const std::string& from, const std::string& to) {
  std::string text = kGood;
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  return load(text);
}

std::string only_error(const ConfigResult& r) {
  EXPECT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(r.errors);
  return r.errors.empty() ? "" : r.errors[0];
}

TEST(Config, TheIssueExampleLoads) {
  auto r = load(kGood);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  const auto& d = r.deployment;
  EXPECT_EQ(d.eal.lcores, "0-2");
  ASSERT_EQ(d.ports.size(), 1u);
  EXPECT_EQ(d.ports[0].rx_queues, 2);
  ASSERT_EQ(d.lcores.size(), 2u);
  EXPECT_EQ(d.lcores[1].poll[0], (QueueId{0, 1}));
  ASSERT_EQ(d.pipelines.size(), 1u);
  EXPECT_EQ(d.pipelines[0].queues.size(), 2u);  // p0:* expanded
  EXPECT_FALSE(d.mempools[0].mbufs.has_value());
}

TEST(Config, UnknownKeyNamesFileLineColumnAndSuggests) {
  auto e = only_error(load_with("    rx_desc: 1024", "    rx_dsc: 1024"));
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:8:5:"), HasSubstr("ports[0].rx_dsc"), HasSubstr("unknown key"),
                       HasSubstr("did you mean rx_desc?"), HasSubstr("allowed here: name, device")));
}

TEST(Config, UnknownTopLevelKey) {
  auto e = only_error(load(std::string(kGood) + "stering: {}\n"));
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:18:1:"), HasSubstr("stering"), HasSubstr("unknown key")));
}

TEST(Config, YamlSyntaxErrorHasPosition) {
  auto e = only_error(load("ports: [ {name: p0\n"));
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:"), HasSubstr("YAML syntax")));
}

TEST(Config, BadNumberNamesValueAndRange) {
  auto e = only_error(load_with("rx_queues: 2", "rx_queues: two"));
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:6:16:"), HasSubstr("ports[0].rx_queues"), HasSubstr("\"two\""),
                       HasSubstr("from 1 to 1024")));
}

TEST(Config, BadEnumListsChoices) {
  auto e = only_error(load_with("poll: busy", "poll: spin"));
  EXPECT_THAT(e, AllOf(HasSubstr("dataplane.poll"), HasSubstr("\"spin\""), HasSubstr("use busy or adaptive")));
  e = only_error(load_with("action: echo", "action: reflect"));
  EXPECT_THAT(e, AllOf(HasSubstr("pipelines[0].action"), HasSubstr("echo or forward or drop")));
  e = only_error(load_with("numa: warn", "numa: maybe"));
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:17:7:"), HasSubstr("numa"), HasSubstr("warn or strict")));
}

TEST(Config, QueuePolledTwice) {
  auto e = only_error(load_with("{lcore: 2, poll: [p0:1]}", "{lcore: 2, poll: [p0:1, p0:0]}"));
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:13:"), HasSubstr("lcores[1].poll[1]"),
                       HasSubstr("p0:0 is already polled by lcore 1"), HasSubstr("exactly one owner")));
}

TEST(Config, QueuePolledByNobody) {
  auto e = only_error(load_with("  - {lcore: 2, poll: [p0:1]}\n", ""));
  EXPECT_THAT(e, AllOf(HasSubstr("ports[0].rx_queues"), HasSubstr("p0:1 is polled by no lcore"),
                       HasSubstr("lower rx_queues to 1")));
}

TEST(Config, QueueOutOfRange) {
  auto e = only_error(load_with("poll: [p0:1]", "poll: [p0:1, p0:5]"));
  EXPECT_THAT(e, AllOf(HasSubstr("lcores[1].poll[1]"), HasSubstr("p0:5"), HasSubstr("has 2 rx_queues (0-1)")));
}

TEST(Config, UnknownPortInSelector) {
  auto e = only_error(load_with("poll: [p0:1]", "poll: [p1:1]"));
  EXPECT_THAT(e, AllOf(HasSubstr("lcores[1].poll[0]"), HasSubstr("no port \"p1\""), HasSubstr("the ports are p0")));
}

TEST(Config, LcoreOutsideEalSet) {
  auto r = load_with("{lcore: 2, poll: [p0:1]}", "{lcore: 7, poll: [p0:1]}");
  auto e = only_error(r);
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:13:13:"), HasSubstr("lcores[1].lcore"),
                       HasSubstr("lcore 7 is not in eal.lcores"), HasSubstr("0,1,2")));
}

TEST(Config, LcoreEqualToMain) {
  auto e = only_error(load_with("{lcore: 1, poll: [p0:0]}", "{lcore: 0, poll: [p0:0]}"));
  EXPECT_THAT(e, AllOf(HasSubstr("lcores[0].lcore"), HasSubstr("is eal.main_lcore")));
}

TEST(Config, MainLcoreOutsideEalSet) {
  auto e = only_error(load_with("main_lcore: 0", "main_lcore: 5"));
  EXPECT_THAT(e, AllOf(HasSubstr("eal.main_lcore"), HasSubstr("not in eal.lcores")));
}

TEST(Config, BadLcoreSyntax) {
  auto e = only_error(load_with("lcores: \"0-2\"", "lcores: \"0-2)\""));
  EXPECT_THAT(e, AllOf(HasSubstr("eal.lcores"), HasSubstr("not DPDK --lcores syntax")));
}

TEST(Config, ForwardToMissingPort) {
  auto e = only_error(load_with("{queues: \"p0:*\", action: echo}", "{queues: \"p0:*\", action: forward, to: p9}"));
  EXPECT_THAT(e, AllOf(HasSubstr("pipelines[0].to"), HasSubstr("\"p9\" is not a port"), HasSubstr("one of p0")));
}

TEST(Config, ForwardWithoutDestination) {
  auto e = only_error(load_with("{queues: \"p0:*\", action: echo}", "{queues: \"p0:*\", action: forward}"));
  EXPECT_THAT(e, AllOf(HasSubstr("pipelines[0].to"), HasSubstr("needs a destination port")));
}

TEST(Config, DstMacOnEchoAndBadMac) {
  auto e = only_error(load_with("action: echo}", "action: echo, dst_mac: \"02:00:00:00:00:01\"}"));
  EXPECT_THAT(e, HasSubstr("only a forward pipeline rewrites dst_mac"));
  e = only_error(load_with("action: echo}", "action: forward, to: p0, dst_mac: \"02:00:00:00:01\"}"));
  EXPECT_THAT(e, AllOf(HasSubstr("pipelines[0].dst_mac"), HasSubstr("not a MAC address")));
}

TEST(Config, QueueWithoutPipelineAndTwoPipelines) {
  auto e = only_error(load_with("queues: \"p0:*\"", "queues: \"p0:0\""));
  EXPECT_THAT(e, AllOf(HasSubstr("p0:1 has no pipeline")));
  e = only_error(load_with("  - {queues: \"p0:*\", action: echo}",
                           "  - {queues: \"p0:*\", action: echo}\n  - {queues: [p0:1], action: drop}"));
  EXPECT_THAT(e, AllOf(HasSubstr("pipelines[1].queues"), HasSubstr("already handled by pipelines[0]")));
}

TEST(Config, TooFewTxQueuesForSendingLcores) {
  auto e = only_error(load_with("tx_queues: 2", "tx_queues: 1"));
  EXPECT_THAT(e, AllOf(HasSubstr("ports[0].tx_queues"), HasSubstr("2 lcores (1,2) send on port p0"),
                       HasSubstr("set tx_queues to at least 2")));
}

TEST(Config, MissingRequiredKeys) {
  auto e = only_error(load_with("    device: \"net_memif0,role=server,socket=/run/steerd/p0.sock\"\n", ""));
  EXPECT_THAT(e, AllOf(HasSubstr("ports[0].device"), HasSubstr("missing")));
  auto r = load("eal: {lcores: \"0-1\"}\n");
  EXPECT_GE(r.errors.size(), 3u);
}

TEST(Config, DuplicatePortNamesAndDevices) {
  std::string two = std::string(kGood);
  two.replace(two.find("lcores:\n"), 0, "  - {name: p0, device: \"net_memif0,role=client\"}\n");
  auto r = load(two);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(::testing::PrintToString(r.errors),
              AllOf(HasSubstr("ports[1].name"), HasSubstr("already the name of ports[0]"), HasSubstr("ports[1].device"),
                    HasSubstr("already used by ports[0]")));
}

TEST(Config, ZeroCopyMemifIsRefused) {
  auto e = only_error(load_with("socket=/run/steerd/p0.sock\"", "socket=/run/steerd/p0.sock,zero-copy=yes\""));
  EXPECT_THAT(e, AllOf(HasSubstr("ports[0].device"), HasSubstr("zero-copy memif is not supported"),
                       HasSubstr("remove zero-copy=yes")));
}

TEST(Config, ExplicitMbufsBelowNeedPrintsBreakdown) {
  auto r = load_with("mbufs: auto", "mbufs: 1000");
  ASSERT_TRUE(r.ok());  // sizing is a plan error, found by make_plan
  std::vector<ConfigError> errs;
  make_plan(r.deployment, {}, &errs);
  ASSERT_EQ(errs.size(), 1u);
  std::string e = r.locate(errs[0]);
  EXPECT_THAT(e, AllOf(HasSubstr("t.yaml:2:"), HasSubstr("mempools[0].mbufs"), HasSubstr("1000 mbufs"),
                       HasSubstr("2048 RX descriptors + 2048 TX descriptors + 1152 in 3 lcore caches + 64 in bursts"),
                       HasSubstr("= 5312"), HasSubstr("set mbufs to 8191 or auto")));
}

TEST(Plan, AutoSizingRoundsToPowerOfTwoMinusOne) {
  EXPECT_EQ(round_pool_size(0), 0u);
  EXPECT_EQ(round_pool_size(1), 1u);
  EXPECT_EQ(round_pool_size(2), 3u);
  EXPECT_EQ(round_pool_size(4095), 4095u);
  EXPECT_EQ(round_pool_size(4096), 8191u);
  auto r = load(kGood);
  ASSERT_TRUE(r.ok());
  std::vector<ConfigError> errs;
  Plan p = make_plan(r.deployment, {}, &errs);
  ASSERT_TRUE(errs.empty());
  ASSERT_EQ(p.pools.size(), 1u);
  const auto& pp = p.pools[0];
  EXPECT_EQ(pp.need.rx_desc, 2u * 1024);
  EXPECT_EQ(pp.need.tx_desc, 2u * 1024);
  EXPECT_EQ(pp.lcores, 3u);                  // two workers and the main lcore
  EXPECT_EQ(pp.need.lcore_cache, 3u * 384);  // 1.5 x 256 each
  EXPECT_EQ(pp.need.lcore_burst, 2u * 32);
  EXPECT_EQ(pp.need.total(), 5312u);
  EXPECT_EQ(pp.mbufs, 8191u);
  EXPECT_TRUE(pp.auto_sized);
  EXPECT_EQ(p.tx_senders[0], (std::vector<unsigned>{1, 2}));
}

TEST(Plan, PortOnSocketWithoutPool) {
  auto r = load_with("    promiscuous: true", "    promiscuous: true\n    socket: 1");
  ASSERT_TRUE(r.ok());
  std::vector<ConfigError> errs;
  make_plan(r.deployment, {}, &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, AllOf(HasSubstr("socket 1"), HasSubstr("add {socket: 1, mbufs: auto}")));
}

TEST(Plan, HugepageShortfallInMiB) {
  auto r = load(kGood);
  std::vector<ConfigError> errs;
  Plan p = make_plan(r.deployment, {}, &errs);
  EXPECT_EQ(check_hugepage_memory(p, p.memory_bytes), "");
  std::string e = check_hugepage_memory(p, p.memory_bytes - (10u << 20));
  EXPECT_THAT(e, AllOf(HasSubstr("10 MiB short"), HasSubstr("hugepage")));
}

TEST(Numa, CrossSocketPollWarnsOrRefuses) {
  auto r = load(kGood);
  ASSERT_TRUE(r.ok());
  SocketMap sm;
  sm.socket_of_port = {1};
  sm.socket_of_lcore = [](unsigned l) { return l == 2 ? 1 : 0; };  // lcore 1 on socket 0, lcore 2 on socket 1
  std::vector<std::string> warnings;
  auto errs = check_numa(r.deployment, sm, &warnings);
  EXPECT_TRUE(errs.empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], AllOf(HasSubstr("lcores[0].poll[0]"), HasSubstr("lcore 1 on socket 0 polls p0:0"),
                                 HasSubstr("socket 1")));
  r.deployment.numa = NumaPolicy::Strict;
  warnings.clear();
  errs = check_numa(r.deployment, sm, &warnings);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0].message, HasSubstr("numa: strict"));
  EXPECT_TRUE(warnings.empty());
  sm.socket_of_port = {-1};  // a vdev: no socket, nothing to say
  EXPECT_TRUE(check_numa(r.deployment, sm, &warnings).empty());
}

TEST(Device, MoreQueuesThanTheDeviceIsASentence) {
  auto r = load(kGood);
  DeviceCaps caps{"net_virtio", 1, 1, 0, 0};
  auto errs = check_device(r.deployment, 0, caps);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].path, "ports[0].rx_queues");
  EXPECT_THAT(errs[0].message,
              AllOf(HasSubstr("port p0 (net_virtio"), HasSubstr("supports at most 1 RX queue but rx_queues asks for 2"),
                    HasSubstr("set ports[0].rx_queues to 1 or less")));
  EXPECT_EQ(r.locate(errs[0]).rfind("t.yaml:6:16: ports[0].rx_queues:", 0), 0u) << r.locate(errs[0]);
}

TEST(LcoreSet, DpdkSyntax) {
  std::string why;
  EXPECT_EQ(*parse_lcore_set("0-2", &why), (std::vector<unsigned>{0, 1, 2}));
  EXPECT_EQ(*parse_lcore_set("(0-3)@(0,1)", &why), (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_EQ(*parse_lcore_set("0@0,1@1,2@0", &why), (std::vector<unsigned>{0, 1, 2}));
  EXPECT_EQ(*parse_lcore_set("4,1-2,(6,8)@3", &why), (std::vector<unsigned>{1, 2, 4, 6, 8}));
  EXPECT_FALSE(parse_lcore_set("2-1", &why));
  EXPECT_FALSE(parse_lcore_set("(0-3", &why));
  EXPECT_FALSE(parse_lcore_set("a", &why));
  EXPECT_FALSE(parse_lcore_set("", &why));
}

TEST(Eal, ArgsFromTheDeployment) {
  auto r = load(kGood);
  auto a = eal_args(r.deployment, "steerd");
  std::string s;
  for (auto& x : a) s += x + " ";
  EXPECT_EQ(s, "steerd --lcores 0-2 --main-lcore 0 --file-prefix t --no-huge -m 512 --no-pci ");
  r.deployment.ports[0].device = "0000:3b:00.1";
  r.deployment.eal.hugepages = true;
  r.deployment.eal.extra_args = {"--log-level=8"};
  s.clear();
  for (auto& x : eal_args(r.deployment, "steerd")) s += x + " ";
  EXPECT_EQ(s, "steerd --lcores 0-2 --main-lcore 0 --file-prefix t --socket-mem 512 -a 0000:3b:00.1 --log-level=8 ");
  EXPECT_TRUE(is_pci_address("3b:00.1"));
  EXPECT_FALSE(is_pci_address("net_ring0"));
}

TEST(Mac, ParseAndFormat) {
  auto m = parse_mac("02:aB:00:00:00:ff");
  ASSERT_TRUE(m);
  EXPECT_EQ(format_mac(*m), "02:ab:00:00:00:ff");
  EXPECT_FALSE(parse_mac("02:ab:00:00:00"));
  EXPECT_FALSE(parse_mac("02-ab-00-00-00-ff"));
  EXPECT_FALSE(parse_mac("zz:ab:00:00:00:ff"));
}

}  // namespace
}  // namespace steer

namespace steer {
namespace {

TEST(Config, PrivilegesUserLoadsAndRoundTrips) {
  auto r = load(std::string(kGood) + "privileges: {user: steer}\n");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.deployment.privileges.user, "steer");
  auto again = load(to_yaml(r.deployment));
  ASSERT_TRUE(again.ok()) << ::testing::PrintToString(again.errors);
  EXPECT_EQ(again.deployment.privileges.user, "steer");
  EXPECT_EQ(load(kGood).deployment.privileges.user, "");  // default: stay as started
  EXPECT_THAT(only_error(load(std::string(kGood) + "privileges: {usr: steer}\n")), HasSubstr("privileges.usr"));
}

TEST(Config, RunningYamlRoundTrips) {
  std::ifstream in(STEER_TEST_DATA "/../../configs/steering.yaml");
  ASSERT_TRUE(in);
  auto first = load_config(in, "steering.yaml");
  ASSERT_TRUE(first.ok()) << ::testing::PrintToString(first.errors);
  const std::string y1 = to_yaml(first.deployment);
  std::istringstream again(y1);
  auto second = load_config(again, "emitted.yaml");
  ASSERT_TRUE(second.ok()) << ::testing::PrintToString(second.errors) << "\n" << y1;
  EXPECT_EQ(to_yaml(second.deployment), y1);
  const auto& s = *second.deployment.ports[0].steering;
  EXPECT_EQ(s.flows.size(), 2u);
  EXPECT_EQ(s.rss.reta, first.deployment.ports[0].steering->rss.reta);
  EXPECT_EQ(second.deployment.lcores[0].dispatch.size(), 2u);
}

}  // namespace
}  // namespace steer

namespace steer {
namespace {

TEST(Config, SingleTxQueueIsFineWhenTheDispatcherTransmits) {
  std::ifstream in(STEER_TEST_DATA "/../../configs/steering.yaml");
  std::stringstream b;
  b << in.rdbuf();
  std::string text = b.str();
  text.replace(text.find("    tx_queues: 2"), 16, "    tx_queues: 1");
  std::istringstream one(text);
  auto r = load_config(one, "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_TRUE(tx_handback(r.deployment, 0));
  std::vector<ConfigError> errs;
  Plan p = make_plan(r.deployment, {}, &errs);
  EXPECT_GE(p.pools[0].need.sw_rings, 8192u) << "the hand-back ring is sized in";
}

}  // namespace
}  // namespace steer

namespace steer {
namespace {

RulesFile rules_of(const std::string& text) {
  std::istringstream in(text);
  return load_rules(in, "r.yaml");
}

// steerctl flow load's file: a flows list as a deployment writes it, bare or
// under flows:; every rule read as a deployment's; bad ones named by line,
// column and path, and then no rule comes back.
TEST(Config, RulesFileIsAFlowsListAndNamesItsErrors) {
  const std::string list =
      "- {name: a, priority: 1, match: {ipv4_dst: 10.0.0.0/24, udp_dst: 53}, action: {queue: 1}}\n"
      "- name: b\n  priority: 2\n  action: {rss: [0, 1], mark: 7}\n";
  for (const std::string& text : {list, "flows:\n" + list}) {
    const RulesFile f = rules_of(text);
    ASSERT_TRUE(f.errors.empty()) << f.errors[0];
    ASSERT_EQ(f.rules.size(), 2u);
    EXPECT_EQ(f.rules[0].name, "a");
    EXPECT_EQ(f.rules[0].match.ipv4_dst_len, 24);
    EXPECT_EQ(f.rules[0].match.udp_dst->value, 53);
    EXPECT_EQ(f.rules[1].action.rss, (std::vector<uint16_t>{0, 1}));
    EXPECT_EQ(*f.rules[1].action.mark, 7u);
  }
  auto only_error = [](const std::string& text, const std::string& want) {
    const RulesFile f = rules_of(text);
    EXPECT_TRUE(f.rules.empty()) << text;
    ASSERT_EQ(f.errors.size(), 1u) << text;
    EXPECT_EQ(f.errors[0], want);
  };
  only_error("- {name: a, priority: 1, action: {queue: 0}}\n- {name: a, priority: 2, action: {queue: 1}}\n",
             "r.yaml:2:10: flows[1].name: \"a\" is also flows[0]'s name; give each rule its own");
  only_error(
      "- {name: a, priority: 1, match: {udp_dst: 70000}, action: {queue: 0}}\n",
      "r.yaml:1:43: flows[0].match.udp_dst: \"70000\" is not a port; write 53, or value/mask like 0x1000/0xf000");
  only_error(
      "- {name: a, priority: 1, mtch: {}, action: {queue: 0}}\n",
      "r.yaml:1:26: flows[0].mtch: unknown key (did you mean match?); allowed here: name, priority, match, action");
  only_error("rules: []\n", "r.yaml:1:1: rules: unknown key; allowed here: flows");
  const RulesFile scalar = rules_of("42\n");
  ASSERT_EQ(scalar.errors.size(), 1u);
  EXPECT_THAT(scalar.errors[0], ::testing::HasSubstr("expected a list of rules"));
  const RulesFile syntax = rules_of("- {name: a\n");
  ASSERT_EQ(syntax.errors.size(), 1u);
  EXPECT_THAT(syntax.errors[0], ::testing::HasSubstr("YAML syntax"));
}

}  // namespace
}  // namespace steer
