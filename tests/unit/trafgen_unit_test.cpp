// Tier 1 for steer-trafgen: frames, evidence, checker, histogram, pacing and
// expectations as pure functions. No EAL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <sstream>

#include "checker.h"
#include "flows.h"
#include "histogram.h"
#include "pacer.h"
#include "report.h"
#include "steer/evidence.h"

using ::testing::HasSubstr;

namespace steer::trafgen {
namespace {

const uint8_t kSrc[6] = {2, 0, 0, 0, 0, 1}, kDst[6] = {2, 0, 0, 0, 0, 2};

TEST(Frames, EvidenceOffsetsMatchTheDocumentedTable) {
  struct Case {
    bool v6;
    uint8_t proto;
    size_t payload, min;
  } cases[] = {{false, 17, 42, 62}, {false, 6, 54, 74}, {true, 17, 62, 82}, {true, 6, 74, 94}};
  for (const auto& c : cases) {
    auto flows = make_flows(3, FlowMode::Sequential, 0, c.proto, c.v6);
    EXPECT_EQ(header_len(flows[1]), c.payload);
    EXPECT_EQ(min_frame_len(flows[1]), c.min);
    std::vector<uint8_t> frame(c.min + 10, 0xee);
    build_headers(frame.data(), flows[1], uint16_t(frame.size()), kSrc, kDst);
    evidence::write(frame.data() + c.payload, 7, 41, 123456789);
    EXPECT_EQ(evidence::l4_payload_offset(frame.data(), frame.size()), c.payload);
    evidence::Fields f;
    ASSERT_TRUE(evidence::read(frame.data() + c.payload, f));
    EXPECT_EQ(f.flow, 7u);
    EXPECT_EQ(f.seq, 41u);
    EXPECT_EQ(f.tsc, 123456789u);
    // the same fields at the absolute offsets the steerd audit is told
    uint32_t flow, seq;
    std::memcpy(&flow, frame.data() + c.payload + evidence::kFlowOffset, 4);
    std::memcpy(&seq, frame.data() + c.payload + evidence::kSeqOffset, 4);
    EXPECT_EQ(flow, 7u);
    EXPECT_EQ(seq, 41u);
  }
}

TEST(Frames, Ipv4HeaderIsValid) {
  auto flows = make_flows(2, FlowMode::Sequential, 0, 17, false);
  std::vector<uint8_t> f(100);
  build_headers(f.data(), flows[1], 100, kSrc, kDst);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(f[14 + 2] << 8 | f[14 + 3], 86);  // IP total length
  EXPECT_EQ(f[34 + 4] << 8 | f[34 + 5], 66);  // UDP length
  EXPECT_EQ(f[26], 10);                       // 10.0.0.2
  EXPECT_EQ(f[29], 2);
  EXPECT_EQ(f[34] << 8 | f[35], 1025);  // sport 1024 + i
  uint32_t sum = 0;
  for (int i = 14; i < 34; i += 2) sum += uint32_t(f[size_t(i)] << 8 | f[size_t(i) + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu) << "IPv4 header checksum";
}

TEST(Frames, VlanTaggedAndForeignFrames) {
  auto flows = make_flows(1, FlowMode::Sequential, 0, 17, false);
  std::vector<uint8_t> plain(80);
  build_headers(plain.data(), flows[0], 80, kSrc, kDst);
  std::vector<uint8_t> tagged(84);
  std::memcpy(tagged.data(), plain.data(), 12);
  tagged[12] = 0x81;
  tagged[13] = 0x00;
  tagged[14] = 0;
  tagged[15] = 5;
  std::memcpy(tagged.data() + 16, plain.data() + 12, 68);
  EXPECT_EQ(evidence::l4_payload_offset(tagged.data(), tagged.size()), 46u);
  plain[12] = 0x08;
  plain[13] = 0x06;  // ARP
  EXPECT_EQ(evidence::l4_payload_offset(plain.data(), plain.size()), 0u);
  EXPECT_EQ(evidence::l4_payload_offset(plain.data(), 20), 0u);
}

TEST(Flows, RandomIsSeededAndVaried) {
  auto a = make_flows(100, FlowMode::Random, 7, 17, false), b = make_flows(100, FlowMode::Random, 7, 17, false);
  auto c = make_flows(100, FlowMode::Random, 8, 17, false);
  EXPECT_EQ(format_tuple(a[5]), format_tuple(b[5]));
  EXPECT_NE(format_tuple(a[5]), format_tuple(c[5]));
  std::set<std::string> distinct;
  for (auto& f : a) distinct.insert(format_tuple(f));
  EXPECT_EQ(distinct.size(), 100u);
}

TEST(Flows, CsvAndItsErrors) {
  std::istringstream good("# flows\n10.0.0.1,10.0.0.2,1000,53\n2001:db8::1, 2001:db8::2, 5, 6, tcp\n");
  std::string why;
  auto f = parse_flows_csv(good, &why);
  ASSERT_TRUE(f) << why;
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ(format_tuple((*f)[0]), "udp 10.0.0.1:1000 -> 10.0.0.2:53");
  EXPECT_TRUE((*f)[1].ipv6);
  EXPECT_EQ((*f)[1].proto, 6);
  std::istringstream bad("10.0.0.1,10.0.0.2,1000,53\n10.0.0.1,10.0.0.2,70000,53\n");
  EXPECT_FALSE(parse_flows_csv(bad, &why));
  EXPECT_THAT(why, HasSubstr("line 2: \"70000\" is not a port"));
  std::istringstream mixed("10.0.0.1,2001:db8::2,1,2\n");
  EXPECT_FALSE(parse_flows_csv(mixed, &why));
  EXPECT_THAT(why, HasSubstr("same family"));
}

TEST(Flows, ImixPattern) {
  auto p = size_pattern(true, 64, 62);
  EXPECT_EQ(p.size(), 12u);
  EXPECT_EQ(std::count(p.begin(), p.end(), 64), 7);
  EXPECT_EQ(std::count(p.begin(), p.end(), 570), 4);
  EXPECT_EQ(std::count(p.begin(), p.end(), 1518), 1);
  EXPECT_EQ(size_pattern(true, 64, 82)[0], 82) << "raised to fit IPv6 headers and evidence";
  EXPECT_EQ(size_pattern(false, 60, 62), std::vector<uint16_t>{62});
}

TEST(Checker, DropsEveryTenthAndOneSwapAreExactlyReported) {
  Checker ck(1);
  std::vector<uint32_t> seqs;
  for (uint32_t s = 0; s < 1000; ++s)
    if (s % 10 != 9) seqs.push_back(s);
  std::swap(seqs[100], seqs[101]);
  for (uint32_t s : seqs) ck.on_packet(0, s);
  EXPECT_EQ(ck.received(), 900u);
  EXPECT_EQ(ck.reordered(), 1u);
  EXPECT_EQ(ck.duplicated(), 0u);
  auto loss = ck.loss({1000});
  EXPECT_EQ(loss.lost, 100u);
  EXPECT_EQ(loss.flows_with_loss, 1u);
}

TEST(Checker, DuplicatesUnknownFlowsAndWrap) {
  Checker ck(2);
  EXPECT_EQ(ck.on_packet(0, 5), Checker::Verdict::InOrder);
  EXPECT_EQ(ck.on_packet(0, 5), Checker::Verdict::Duplicate);
  EXPECT_EQ(ck.on_packet(0, 3), Checker::Verdict::Reordered);
  EXPECT_EQ(ck.on_packet(0, 3), Checker::Verdict::Duplicate);
  EXPECT_EQ(ck.on_packet(0, 400), Checker::Verdict::InOrder);
  EXPECT_EQ(ck.on_packet(0, 5), Checker::Verdict::Reordered) << "older than the window";
  EXPECT_EQ(ck.on_packet(9, 0), Checker::Verdict::UnknownFlow);
  EXPECT_EQ(ck.on_packet(1, 0xfffffffeu), Checker::Verdict::InOrder);
  EXPECT_EQ(ck.on_packet(1, 0xffffffffu), Checker::Verdict::InOrder);
  EXPECT_EQ(ck.on_packet(1, 0), Checker::Verdict::InOrder) << "sequence numbers wrap";
  EXPECT_EQ(ck.duplicated(), 2u);
  EXPECT_EQ(ck.unknown(), 1u);
}

TEST(Checker, NoFalseReorderOnManyInterleavedFlows) {
  Checker ck(64);
  std::vector<uint32_t> next(64, 0);
  std::mt19937 rng(3);
  for (int i = 0; i < 100000; ++i) {
    uint32_t f = rng() % 64;
    ck.on_packet(f, next[f]++);
  }
  EXPECT_EQ(ck.reordered(), 0u);
  EXPECT_EQ(ck.duplicated(), 0u);
  EXPECT_EQ(ck.loss(next).lost, 0u);
}

TEST(Histogram, PercentilesWithinBucketError) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000u);
  EXPECT_EQ(h.min(), 1u);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double want = q * 100000;
    double got = double(h.percentile(q));
    EXPECT_NEAR(got, want, want / 60) << q;
  }
  EXPECT_LE(h.percentile(0.5), h.percentile(0.9));
  EXPECT_LE(h.percentile(0.9999), h.max());
  EXPECT_EQ(Histogram::index(63), 63u);
  for (uint64_t v : {64ull, 1000ull, 123456789ull, 1ull << 40})
    EXPECT_GE(Histogram::upper(Histogram::index(v)), v) << v;
  Histogram empty;
  EXPECT_EQ(empty.percentile(0.99), 0u);
}

TEST(Pacer, RateAndBurstSchedule) {
  Pacer p;
  p.pps = 1e6;
  p.tsc_hz = 1'000'000'000;  // 1 GHz: 1 cycle = 1 ns
  p.start = 1000;
  EXPECT_EQ(p.allowed(1000), 0u);
  EXPECT_EQ(p.allowed(1000 + 2'000'000'000ull), 2'000'000u);
  p.burst_every = 100'000'000;  // 100 ms
  p.burst_len = 1'000'000;      // 1 ms at 10x
  p.burst_x = 10;
  // one second = 10 periods, each 99 ms at 1x and 1 ms at 10x: 109,000 per period
  EXPECT_EQ(p.allowed(1000 + 1'000'000'000ull), 1'090'000u);
  EXPECT_EQ(p.allowed(1000 + 500'000), 5'000u);  // half-way through the first burst window
}

TEST(Expect, ParseAndCheck) {
  std::string why;
  auto e = parse_expect("loss=0,reordered=0,p99<=5000,received>=10", &why);
  ASSERT_TRUE(e) << why;
  Results r;
  r.sent = r.received = 10;
  for (int i = 0; i < 10; ++i) r.latency_ns.record(1000);
  EXPECT_TRUE(check_expect(r, *e).empty());
  r.lost = 2;
  r.reordered = 1;
  auto failed = check_expect(r, *e);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0], "loss=2 (want loss=0)");
  EXPECT_FALSE(parse_expect("lossy=0", &why));
  EXPECT_THAT(why, HasSubstr("not a result"));
  EXPECT_FALSE(parse_expect("loss=x", &why));
  EXPECT_FALSE(parse_expect("=3", &why));
}

TEST(Report, JsonHasTheContractKeys) {
  Results r;
  r.sent = 5;
  r.latency_ns.record(100);
  std::string j = to_json(r);
  for (const char* k : {"\"sent\"", "\"received\"", "\"lost\"", "\"reordered\"", "\"duplicated\"", "\"mpps\"",
                        "\"latency_ns\"", "\"p50\"", "\"p99\"", "\"p999\"", "\"p9999\"", "\"max\""})
    EXPECT_THAT(j, HasSubstr(k));
}

}  // namespace
}  // namespace steer::trafgen
