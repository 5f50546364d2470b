// The metrics' names and text, from the counter tables (steer/metrics.h).
#include "steer/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

using ::testing::HasSubstr;

namespace steer {
namespace {

TEST(Metrics, NamesCarryTheirBaseUnit) {
  EXPECT_EQ(metric_name("queue", "rx", Unit::Packets), "steer_queue_rx_packets_total");
  EXPECT_EQ(metric_name("port", "ipackets", Unit::Packets), "steer_port_ipackets_total");
  EXPECT_EQ(metric_name("port", "obytes", Unit::Bytes), "steer_port_obytes_total");
  EXPECT_EQ(metric_name("lcore", "loops", Unit::Events), "steer_lcore_loops_total");
  EXPECT_EQ(metric_name("lcore", "busy_cycles", Unit::Cycles), "steer_lcore_busy_seconds_total");
}

TEST(Metrics, EveryCounterOfEveryTableIsAFamilyOnce) {
  StatsSnapshot s;
  s.tsc_hz = 2'000'000'000;
  StatsSnapshot::Queue q;
  q.port = "p0";
  q.s.rx = 7;
  q.s.busy_cycles = 1'000'000'000;
  s.queues = {q};
  StatsSnapshot::Lcore l;
  l.lcore = 1;
  s.lcores = {l};
  StatsSnapshot::Dispatcher d;
  d.port = "p0";
  d.rx = 4;
  d.busy_cycles = 360;
  s.dispatchers = {d};
  StatsSnapshot::Port p;
  p.name = "p\"0";
  s.ports = {p};
  ChangeHistograms h;
  ChangeReport r;
  r.apply_us = 5;
  r.drain_us = 150;
  r.held = 12;
  h.observe(r);
  const std::string text = render_metrics(s, {0.25}, {{"p0", "software", 3, 2, 128}}, h);
  std::set<std::string> families;
  size_t pos = 0;
  while ((pos = text.find("# TYPE ", pos)) != std::string::npos) {
    const size_t end = text.find(' ', pos + 7);
    EXPECT_TRUE(families.insert(text.substr(pos + 7, end - pos - 7)).second) << "family twice";
    pos = end;
  }
  const size_t tables =
      std::size(kQueueFields) + std::size(kLcoreFields) + std::size(kDispatchFields) + std::size(kPortFields);
  // + busy ratio, dispatcher cycles per packet, 4 steering gauges, 3
  // histograms (no pools in this snapshot)
  EXPECT_EQ(families.size(), tables + 1 + 1 + 4 + 3);
  EXPECT_THAT(text, HasSubstr("steer_dispatcher_cycles_per_packet{port=\"p0\",queue=\"0\",lcore=\"0\"} 90\n"));
  EXPECT_THAT(text,
              HasSubstr("steer_queue_rx_packets_total{port=\"p0\",queue=\"0\",lcore=\"0\",dispatch_rx=\"\"} 7\n"));
  EXPECT_THAT(text,
              HasSubstr("steer_queue_busy_seconds_total{port=\"p0\",queue=\"0\",lcore=\"0\",dispatch_rx=\"\"} 0.5\n"));
  EXPECT_THAT(text, HasSubstr("steer_port_ipackets_total{port=\"p\\\"0\"} 0\n"));  // label values escaped
  EXPECT_THAT(text, HasSubstr("steer_lcore_busy_ratio{lcore=\"1\"} 0.25\n"));
  EXPECT_THAT(text, HasSubstr("steer_steering_generation{port=\"p0\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("steer_change_drain_seconds_bucket{le=\"0.0001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("steer_change_drain_seconds_bucket{le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("steer_change_held_packets_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("steer_change_held_packets_sum 12\n"));
}

}  // namespace
}  // namespace steer
