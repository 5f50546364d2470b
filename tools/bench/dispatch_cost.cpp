// The software dispatcher's cost per packet, DUT-bound (issue 12). The port is
// net_pcap with infinite_rx=1: it replays a capture this program writes (one
// frame per flow) from memory, so no generator thread competes. The
// dispatcher has CPU 1 to itself; the worker (CPU 0) drops what it gets.
//
// Each case reports the dispatcher's TSC cycles per packet (its busy_cycles /
// rx: device RX, classification, hand-off to the rings) and, from the same
// run, the PMD's own cost: a plain worker polling the same capture and
// dropping (its busy cycles per packet, RX and free). overhead = dispatcher -
// PMD is what steering adds.
//
// Each case runs --rounds times (default 3) and reports the round with the
// fewest cycles per packet: the TSC also counts the time a preempted
// dispatcher was off its CPU and a descheduled worker's backlog, so
// interference only ever adds; on a shared VM the median of three moved by
// 2x between sittings.
//
// Memory: --no-huge by default (4 KiB pages: TLB misses on the mbufs add
// noise); with env HUGE_DIR naming a hugetlbfs mount with >= 1 GiB free,
// 2 MiB pages, as a production steerd runs.
//
// usage: steer-bench-dispatch-cost [--seconds S (1)] [--rounds N (3)] [--only SUBSTRING] [--classifier
// [--packets N] [--vector-lookup] [--general]]; --packets: classify N packets of each case
// once, untimed (for classify_instructions.sh, which counts them under
// cachegrind); --vector-lookup: the group lookups' AVX-512 form where the
// CPU has it (SteeringTable::use_vector_lookup; the dispatcher cases follow
// STEER_LOOKUP in the environment, as steerd does); --general: a table with
// no rules takes the dispatcher's path for tables with rules too, not its
// RETA-only path (frame_tuple, hash_tuples, reta_queue).
// One line per case, then the summary line:
//   dispatch_cost capture=v4udp-1k rules=1000 groups=1 hit=0 cycles=.. pmd=.. overhead=.. mpps=.. ring_full=..
#include <sched.h>
#include <unistd.h>
#include <x86intrin.h>

#include <rte_eal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "flows.h"
#include "handoff_floor.h"
#include "steer/dataplane.h"
#include "steer/steering.h"

using namespace steer;

namespace {

struct Capture {
  std::string name;  // v4udp-1k ...
  bool ipv6;
  uint8_t proto;
  uint32_t flows;
  std::string path;
};

// One frame per flow, each of the minimum size that carries its headers (64
// bytes with FCS for IPv4/UDP). Sequential sources and ports (hit_rule's
// prefix), and a destination of its own per flow, scattered (in 10/8, or
// 2001:db8:1::/64) so that at every prefix length the rules use the flows'
// masked keys differ: a group's miss then costs what it costs on average
// over keys. With one destination for every flow (before 2026-12-04), each
// group's miss was one key's luck: its signature bit set or not for all.
std::vector<std::vector<uint8_t>> frames_of(const Capture& c) {
  auto flows = trafgen::make_flows(c.flows, trafgen::FlowMode::Sequential, 1, c.proto, c.ipv6);
  uint64_t state = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    const uint64_t x = trafgen::splitmix64(state);
    if (!c.ipv6) {
      flows[i].dst[0] = 10;
      for (int b = 1; b < 4; ++b) flows[i].dst[b] = uint8_t(x >> (8 * b));
    } else {
      for (int b = 8; b < 16; ++b) flows[i].dst[b] = uint8_t(x >> (8 * (b - 8)));
    }
  }
  const uint8_t src[6] = {2, 0, 0, 0, 0, 1}, dst[6] = {2, 0, 0, 0, 0, 0x10};
  std::vector<std::vector<uint8_t>> out;
  for (const auto& flow : flows) {
    const uint16_t len = uint16_t(std::max<size_t>(60, trafgen::min_frame_len(flow)));
    out.emplace_back(len, 0);
    trafgen::build_headers(out.back().data(), flow, len, src, dst);
  }
  return out;
}

// A classic pcap file of those frames.
void write_pcap(const Capture& c) {
  std::ofstream f(c.path, std::ios::binary);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  u32(0xa1b2c3d4);  // microsecond timestamps, native byte order
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(1);  // Ethernet
  const auto frames = frames_of(c);
  for (size_t i = 0; i < frames.size(); ++i) {
    const uint32_t len = uint32_t(frames[i].size());
    u32(uint32_t(i / 1000000));
    u32(uint32_t(i % 1000000));
    u32(len);
    u32(len);
    f.write(reinterpret_cast<const char*>(frames[i].data()), len);
  }
}

// Rule j of group g under the mask shapes below: a destination prefix whose
// length depends on g (32 down to 17, or 128 down to 113), with the L4
// destination port exact for groups 16-31. Addresses come from
// 198.18.0.0/15 (2001:db8:ffff::/48): no frame of the captures matches.
FlowRule miss_rule(const Capture& c, uint32_t g, uint32_t j, uint32_t priority) {
  FlowRule r;
  r.name = "m" + std::to_string(g) + "_" + std::to_string(j);
  r.priority = priority;
  r.action.queue = 1;
  const uint8_t cut = uint8_t(g % 16);
  if (!c.ipv6) {
    const uint8_t len = uint8_t(32 - cut);
    const uint32_t a = (198u << 24 | 18u << 16) + (j << cut);
    r.match.ipv4_dst = std::array<uint8_t, 4>{uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
    r.match.ipv4_dst_len = len;
  } else {
    std::array<uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff};
    const uint64_t low = uint64_t(j) << cut;
    for (int b = 0; b < 8; ++b) a[15 - b] = uint8_t(low >> (8 * b));
    r.match.ipv6_dst = a;
    r.match.ipv6_dst_len = uint8_t(128 - cut);
  }
  if (g >= 16) {
    PortMatch p{uint16_t(7 + g), 0xffff};
    (c.proto == 6 ? r.match.tcp_dst : r.match.udp_dst) = p;
  }
  return r;
}

// Half the flows (the first half of the sources) in one rule, at the lowest
// precedence, so a hit still probes every group.
FlowRule hit_rule(const Capture& c, uint32_t priority) {
  FlowRule r;
  r.name = "hit";
  r.priority = priority;
  r.action.queue = 1;
  const auto flows = trafgen::make_flows(c.flows, trafgen::FlowMode::Sequential, 1, c.proto, c.ipv6);
  // Sequential sources count up from the first flow's: half of them share
  // the prefix one bit shorter than log2(flows).
  uint32_t bits = 0;
  while ((1u << bits) < c.flows) ++bits;
  if (!c.ipv6) {
    std::array<uint8_t, 4> a;
    std::memcpy(a.data(), flows[0].src, 4);
    r.match.ipv4_src = a;
    r.match.ipv4_src_len = uint8_t(32 - (bits - 1));
  } else {
    std::array<uint8_t, 16> a;
    std::memcpy(a.data(), flows[0].src, 16);
    r.match.ipv6_src = a;
    r.match.ipv6_src_len = uint8_t(128 - (bits - 1));
  }
  return r;
}

struct Case {
  const Capture* cap;
  enum Kind { Pmd, Floor, Steered } kind;
  uint32_t rules = 0, groups = 1;
  bool hit = false;
};

// What --only matches (as a substring), and how the case's line starts:
// "v4udp-1k rules=1000 groups=1 hit=0".
std::string case_id(const Case& k) {
  return k.cap->name + " rules=" + std::to_string(k.rules) + " groups=" + std::to_string(k.rules ? k.groups : 0) +
         " hit=" + (k.hit ? "50%" : "0");
}

SteeringConfig steering_for(const Case& k) {
  SteeringConfig sc;
  sc.mode = SteeringMode::Software;
  sc.rss.reta = reta_spread(128, {0, 1});
  const uint32_t per_group = k.groups ? (k.rules + k.groups - 1) / k.groups : 0;
  uint32_t prio = 0;
  for (uint32_t g = 0; g < k.groups && sc.flows.size() < k.rules; ++g)
    for (uint32_t j = 0; j < per_group && sc.flows.size() < k.rules; ++j)
      sc.flows.push_back(miss_rule(*k.cap, g, j, prio++));
  if (k.hit) sc.flows.push_back(hit_rule(*k.cap, prio++));
  return sc;
}

struct Result {
  double cycles = 0, mpps = 0;
  uint64_t ring_full = 0, rx = 0;
  std::string error;
};

int instance = 0;

// Every case's mempool: infinite_rx keeps one copy of every frame.
unsigned mbufs_for(const Capture& c) {
  return c.flows * 2 + 16384;
}

Result run(const Case& k, double seconds) {
  if (k.kind == Case::Floor) {
    const int n = instance++;
    const auto f = bench::handoff_floor("net_pcap" + std::to_string(n) + ",rx_pcap=" + k.cap->path + ",infinite_rx=1",
                                        mbufs_for(*k.cap), seconds, n);
    return {f.cycles, f.mpps, f.ring_full, f.rx, f.error};
  }
  Deployment d;
  d.eal.lcores = "0@0,1@1,2@0";
  d.dataplane.poll = PollMode::Busy;
  d.mempools[0].mbufs = mbufs_for(*k.cap);
  d.mempools[0].cache = 256;
  PortConfig pc;
  pc.name = "p0";
  pc.device = "net_pcap" + std::to_string(instance++) + ",rx_pcap=" + k.cap->path + ",infinite_rx=1";
  pc.promiscuous = false;
  pc.tx_queues = 1;
  if (k.kind == Case::Pmd) {
    pc.rx_queues = 1;
    d.lcores = {{1, {{0, 0}}, {}}};
    d.pipelines = {{{{0, 0}}, Action::Drop, {}, {}}};
  } else {
    pc.rx_queues = 2;
    SteeringConfig sc = steering_for(k);
    pc.steering = sc;
    d.lcores = {{1, {}, {{0, 0}}}, {2, {{0, 0}, {0, 1}}, {}}};
    d.pipelines = {{{{0, 0}, {0, 1}}, Action::Drop, {}, {}}};
  }
  d.ports = {pc};
  Dataplane dp;
  std::vector<std::string> warnings;
  Result r;
  if (auto e = dp.start(d, &warnings, {}); !e.empty()) {
    r.error = e[0].path + ": " + e[0].message;
    return r;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // warm: caches, the ring, the table
  auto before = dp.stats();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  auto after = dp.stats();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  dp.stop();
  dp.close();
  uint64_t cycles = 0;
  if (k.kind == Case::Pmd) {
    for (size_t i = 0; i < after.queues.size(); ++i) {
      r.rx += after.queues[i].s.rx - before.queues[i].s.rx;
      cycles += after.queues[i].s.busy_cycles - before.queues[i].s.busy_cycles;
    }
  } else {
    for (size_t i = 0; i < after.dispatchers.size(); ++i) {
      r.rx += after.dispatchers[i].rx - before.dispatchers[i].rx;
      cycles += after.dispatchers[i].busy_cycles - before.dispatchers[i].busy_cycles;
      r.ring_full += after.dispatchers[i].ring_full - before.dispatchers[i].ring_full;
    }
  }
  r.cycles = r.rx ? double(cycles) / double(r.rx) : 0;
  r.mpps = double(r.rx) / secs / 1e6;
  return r;
}

// --classifier: the classification alone, on CPU 1, without the EAL or a
// device: the capture's frames (contiguous, 128 bytes apart) parsed and
// classified from memory, one packet at a time (classify, what the dispatcher
// did before burst classification) or 32 at a time (the dispatcher's path
// now, below). TSC cycles per packet. This is the part of the dispatcher's
// cost that classification is; the DUT-bound figure adds the
// device, the mbufs and the hand-off to the worker's CPU, which on some
// machines costs far more than classification (BENCHMARKS.md).
// A burst is what the dispatcher does: a table without rules takes its
// RETA-only path (frame_tuple, hash_tuples, reta_queue) unless `general` is
// set; otherwise each frame's key and tuple are parsed in one pass
// (parse_fields_and_tuple), the tuples hashed, and the keys classified with
// their hashes (classify_hashed).
bool general = false;

double classify_cycles(const SteeringTable& t, const std::vector<uint8_t>& frames, const std::vector<uint16_t>& lens,
                       bool burst, size_t packets) {
  constexpr size_t kStride = 128, kBurst = 32;
  const size_t n = lens.size();
  PacketFields fields[kBurst];
  SteerVerdict v[kBurst];
  alignas(64) uint8_t tuple[kBurst][SteeringTable::kTupleStride];
  size_t len[kBurst];
  uint32_t hashes[kBurst];
  const bool reta_only = burst && t.no_rules() && !general;
  uint64_t sink = 0;
  size_t at = 0;
  const uint64_t t0 = __rdtsc();
  for (size_t done = 0; done < packets; done += kBurst) {
    if (reta_only) {
      for (size_t j = 0; j < kBurst; ++j, at = at + 1 == n ? 0 : at + 1)
        len[j] = frame_tuple(&frames[at * kStride], lens[at], t.types(), tuple[j]);
      t.hash_tuples(tuple[0], len, kBurst, hashes);
      for (size_t j = 0; j < kBurst; ++j) sink += t.reta_queue(hashes[j]) + hashes[j];
      continue;
    }
    if (burst) {
      for (size_t j = 0; j < kBurst; ++j, at = at + 1 == n ? 0 : at + 1)
        len[j] = parse_fields_and_tuple(&frames[at * kStride], lens[at], t.types(), fields[j], tuple[j]);
      t.hash_tuples(tuple[0], len, kBurst, hashes);
      t.classify_hashed(fields, hashes, kBurst, v);
    } else {
      for (size_t j = 0; j < kBurst; ++j, at = at + 1 == n ? 0 : at + 1)
        parse_fields_into(&frames[at * kStride], lens[at], fields[j]);
      for (size_t j = 0; j < kBurst; ++j) v[j] = t.classify(fields[j]);
    }
    for (size_t j = 0; j < kBurst; ++j) sink += v[j].queue + uint64_t(v[j].rule);
  }
  const uint64_t cycles = __rdtsc() - t0;
  if (sink == 42) std::printf(" ");  // keeps the work observable
  return double(cycles) / double(packets);
}

int classifier_main(const std::vector<Capture>& caps, const std::vector<Case>& cases, int rounds,
                    const std::string& only, size_t untimed, bool vector_lookup) {
  cpu_set_t cpu1;
  CPU_ZERO(&cpu1);
  CPU_SET(1, &cpu1);
  sched_setaffinity(0, sizeof cpu1, &cpu1);
  std::map<const Capture*, std::pair<std::vector<uint8_t>, std::vector<uint16_t>>> data;
  for (const auto& c : caps) {
    auto& [flat, lens] = data[&c];
    const auto frames = frames_of(c);
    flat.assign(frames.size() * 128, 0);
    for (size_t i = 0; i < frames.size(); ++i) {
      std::memcpy(&flat[i * 128], frames[i].data(), frames[i].size());
      lens.push_back(uint16_t(frames[i].size()));
    }
  }
  // Toeplitz alone, both forms, over the IPv4/UDP (12-byte) and IPv6/TCP
  // (36-byte) tuples of the captures; not when --only picks cases.
  if (only.empty() && !untimed) {
    const ToeplitzTable table(default_rss_key());
    const ToeplitzGfni gfni = ToeplitzGfni::supported() ? ToeplitzGfni(default_rss_key()) : ToeplitzGfni();
    for (size_t len : {12u, 36u}) {
      const auto& [flat, lens] = data[&caps[len == 12 ? 0 : 3]];
      const size_t at = 14 + (len == 12 ? 12 : 8);  // the addresses, then the ports
      auto run = [&](bool use_gfni) {
        std::vector<double> r;
        for (int i = 0; i < rounds * 8; ++i) {
          uint32_t sink = 0;
          const size_t n = lens.size(), packets = 500'000;
          const uint64_t t0 = __rdtsc();
          for (size_t p = 0, f = 0; p < packets; ++p, f = f + 1 == n ? 0 : f + 1)
            sink ^= use_gfni ? gfni.hash(&flat[f * 128 + at], len) : table.hash(&flat[f * 128 + at], len);
          r.push_back(double(__rdtsc() - t0) / double(packets));
          if (sink == 42) std::printf(" ");
        }
        return *std::min_element(r.begin(), r.end());  // as below: the least disturbed run
      };
      const double t = run(false), g = ToeplitzGfni::supported() ? run(true) : 0;
      std::printf("toeplitz_cost bytes=%zu table=%.1f gfni=%.1f%s\n", len, t, g,
                  ToeplitzGfni::supported() ? "" : " (no GFNI on this CPU)");
    }
  }
  std::printf("classify_cost toeplitz=%s lookup=%s\n", ToeplitzGfni::usable() ? "gfni" : "table",
              SteeringTable::vector_lookup_supported() && vector_lookup ? "vector" : "scalar");
  double single100k = 0, burst100k = 0;
  for (const auto& k : cases) {
    if (k.kind != Case::Steered) continue;
    if (!only.empty() && case_id(k).find(only) == std::string::npos) continue;
    SteeringTable t(steering_for(k));
    t.use_vector_lookup(vector_lookup);
    const auto& [flat, lens] = data[k.cap];
    if (untimed) {  // one burst run: what classify_instructions.sh counts
      classify_cycles(t, flat, lens, true, untimed);
      std::printf("classify_run %s packets=%zu\n", case_id(k).c_str(), untimed);
      continue;
    }
    // The minimum of many short runs: the loop is deterministic, so what a
    // run takes above the least is interference (this VM's neighbours move
    // a median by tens of percent between runs).
    double a = 1e18, b = 1e18;
    for (int r = 0; r < rounds * 8; ++r) {
      a = std::min(a, classify_cycles(t, flat, lens, false, 250'000));
      b = std::min(b, classify_cycles(t, flat, lens, true, 250'000));
    }
    std::printf("classify_cost capture=%s rules=%u groups=%u hit=%s clusters=%zu single=%.1f burst=%.1f\n",
                k.cap->name.c_str(), k.rules, k.rules ? k.groups : 0, k.hit ? "50%" : "0", t.clusters(), a, b);
    if (k.cap == &caps[0] && k.rules == 100000 && k.groups == 32 && !k.hit) single100k = a, burst100k = b;
    std::fflush(stdout);
  }
  std::printf("classify_cost summary v4udp-1k 100k rules 32 groups: single=%.1f burst=%.1f cycles/packet\n", single100k,
              burst100k);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1;
  int rounds = 3;
  std::string only;
  bool classifier = false;
  size_t packets = 0;
  bool vector_lookup = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--classifier")
      classifier = true;
    else if (a == "--packets" && i + 1 < argc)
      packets = size_t(std::atoll(argv[++i]));
    else if (a == "--vector-lookup")
      vector_lookup = true;
    else if (a == "--general")
      general = true;
    else {
      std::fprintf(stderr,
                   "usage: steer-bench-dispatch-cost [--seconds S] [--rounds N] [--only SUBSTRING] [--classifier "
                   "[--packets N] [--vector-lookup] [--general]]\n");
      return 2;
    }
  }
  std::vector<Capture> caps = {{"v4udp-1k", false, 17, 1024, ""},
                               {"v4udp-64k", false, 17, 65536, ""},
                               {"v6tcp-1k", true, 6, 1024, ""},
                               {"v6tcp-64k", true, 6, 65536, ""}};
  std::vector<Case> cases;
  for (const auto& c : caps) {
    cases.push_back({&c, Case::Pmd});
    cases.push_back({&c, Case::Floor});
    cases.push_back({&c, Case::Steered, 0, 0});
  }
  const Capture& v4 = caps[0];
  for (uint32_t rules : {1000u, 10000u, 100000u})
    for (uint32_t groups : {1u, 8u, 32u}) cases.push_back({&v4, Case::Steered, rules, groups});
  cases.push_back({&v4, Case::Steered, 1000, 1, true});
  cases.push_back({&v4, Case::Steered, 100000, 32, true});
  cases.push_back({&caps[3], Case::Steered, 1000, 1});
  cases.push_back({&caps[3], Case::Steered, 100000, 32});

  if (classifier) return classifier_main(caps, cases, rounds, only, packets, vector_lookup);

  const std::string prefix = "steer_dcost_" + std::to_string(getpid());
  const std::string dir = "/tmp/" + prefix;
  std::filesystem::create_directories(dir);
  std::vector<std::string> args = {"bench", "--no-pci",    "--lcores",      "0@0,1@1,2@0",   "--file-prefix",
                                   prefix,  "--log-level", "lib.eal:error", "--no-telemetry"};
  const char* huge = std::getenv("HUGE_DIR");
  if (huge && *huge)
    args.insert(args.end(), {"--huge-dir", huge, "--huge-unlink", "-m", "1024"});  // nothing left behind
  else
    args.insert(args.end(), {"--no-huge", "-m", "2048"});
  if (const char* ops = std::getenv("MBUF_POOL_OPS"); ops && *ops)
    args.insert(args.end(), {"--mbuf-pool-ops-name", ops});
  std::printf("dispatch_cost memory: %s\n", huge && *huge ? "2 MiB hugepages" : "4 KiB pages (--no-huge)");
  for (auto& c : caps) {
    c.path = dir + "/" + c.name + ".pcap";
    write_pcap(c);
  }
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  if (rte_eal_init(int(av.size()), av.data()) < 0) {
    std::fprintf(stderr, "the EAL did not start\n");
    return 1;
  }
  // --only selects steered cases by case_id; the PMD reference runs
  // for the captures they use.
  const auto& id = case_id;
  auto selected = [&](const Case& k) {
    if (k.kind == Case::Steered) return id(k).find(only) != std::string::npos;
    for (const auto& o : cases)
      if (o.kind == Case::Steered && o.cap == k.cap && id(o).find(only) != std::string::npos) return true;
    return false;
  };
  std::map<std::string, double> pmd, floor;
  int failed = 0;
  double worst0 = 0, worst1k = 0, worst100k = 0, handoff = 0, over_floor0 = 0;
  for (const auto& k : cases) {
    const std::string name = k.kind == Case::Pmd     ? "pmd"
                             : k.kind == Case::Floor ? "floor"
                                                     : "rules=" + std::to_string(k.rules);
    const std::string line_id = k.cap->name + " " + name;
    if (!only.empty() && !selected(k)) continue;
    std::vector<Result> rs;
    for (int i = 0; i < rounds; ++i) {
      rs.push_back(run(k, seconds));
      if (!rs.back().error.empty()) break;
    }
    std::sort(rs.begin(), rs.end(), [](const Result& a, const Result& b) { return a.cycles < b.cycles; });
    Result r = rs.back().error.empty() ? rs.front() : rs.back();  // the least disturbed round
    if (!r.error.empty()) {
      std::fprintf(stderr, "%s: %s\n", line_id.c_str(), r.error.c_str());
      ++failed;
      continue;
    }
    if (k.kind == Case::Pmd) {
      pmd[k.cap->name] = r.cycles;
      std::printf("dispatch_cost capture=%s pmd cycles=%.1f mpps=%.2f\n", k.cap->name.c_str(), r.cycles, r.mpps);
    } else if (k.kind == Case::Floor) {
      floor[k.cap->name] = r.cycles;
      const double base = pmd[k.cap->name];
      if (k.cap == &v4) handoff = r.cycles - base;
      std::printf("dispatch_cost capture=%s floor cycles=%.1f pmd=%.1f handoff=%.1f mpps=%.2f ring_full=%llu\n",
                  k.cap->name.c_str(), r.cycles, base, r.cycles - base, r.mpps, (unsigned long long)r.ring_full);
    } else {
      const double base = pmd[k.cap->name], over = r.cycles - base, fl = floor[k.cap->name];
      std::printf(
          "dispatch_cost capture=%s rules=%u groups=%u hit=%s cycles=%.1f pmd=%.1f overhead=%.1f floor=%.1f "
          "over_floor=%.1f mpps=%.2f ring_full=%llu\n",
          k.cap->name.c_str(), k.rules, k.rules ? k.groups : 0, k.hit ? "50%" : "0", r.cycles, base, over, fl,
          r.cycles - fl, r.mpps, (unsigned long long)r.ring_full);
      if (k.cap == &v4 && !k.hit) {
        if (k.rules == 0) worst0 = over, over_floor0 = r.cycles - fl;
        if (k.rules == 1000 && k.groups == 1) worst1k = over - worst0;
        if (k.rules == 100000 && k.groups == 32) worst100k = over - worst0;
      }
    }
    std::fflush(stdout);
  }
  std::printf(
      "dispatch_cost summary v4udp-1k: overhead_0_rules=%.1f plus_1k_rules_1_group=%.1f "
      "plus_100k_rules_32_groups=%.1f (goals 40, 10, 60 cycles/packet) handoff_floor=%.1f "
      "overhead_0_rules_over_floor=%.1f\n",
      worst0, worst1k, worst100k, handoff, over_floor0);
  std::filesystem::remove_all(dir);
  rte_eal_cleanup();
  return failed ? 1 : 0;
}
