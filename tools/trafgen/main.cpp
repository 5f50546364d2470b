// steer-trafgen: EAL arguments first, its own after "--".
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "engine.h"
#include "steer/model.h"
#include "steer/text.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

const char* kUsage =
    "usage: steer-trafgen [EAL arguments] -- [options]\n"
    "\n"
    "traffic\n"
    "  --flows N              flows, round-robin (default 64)\n"
    "  --flow-mode seq|random 5-tuples sequential or random (default seq)\n"
    "  --seed N               seed for --flow-mode random (default 1)\n"
    "  --flows-file F         flows from a CSV file: src,dst,sport,dport[,udp|tcp]\n"
    "  --proto udp|tcp        L4 protocol (tcp: SYN-flagged) (default udp)\n"
    "  --ipv6                 IPv6 instead of IPv4\n"
    "  --size N               frame bytes without FCS (default 64; raised to fit headers + evidence)\n"
    "  --imix                 7 x 64, 4 x 570, 1 x 1518 bytes instead of --size\n"
    "  --rate PPS             target rate, TSC-paced (0: as fast as possible; default 0)\n"
    "  --duration S | --count N   how long, or how many packets (default 3 s)\n"
    "  --burst-every MS --burst-len MS --burst-x X   periodic bursts at X times the rate\n"
    "  --dst-mac MAC          destination MAC (default 02:00:00:00:00:10)\n"
    "ports\n"
    "  --tx-port P --rx-port P   ethdev ports (default 0 and the TX port)\n"
    "  --queues N             RX and TX queues per port; flow f uses TX queue f %% N (default 1)\n"
    "  --burst N              burst size (default 32)\n"
    "  --no-rx                send only\n"
    "  --drain-ms N           wait this long after the last TX for stragglers (default 500)\n"
    "  --link-timeout S       fail (exit 4) if a port's link is not up within S seconds (default 5)\n"
    "output\n"
    "  --json FILE            write the results as JSON\n"
    "  --expect CONDS         e.g. loss=0,reordered=0,p99<=100000: exit 3 when one fails\n"
    "  --quiet                no per-second lines\n";

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "steer-trafgen: %s\n", msg.c_str());
  std::exit(2);
}

double number(const char* flag, const char* v, double lo, double hi) {
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (!*v || *end || d < lo || d > hi)
    die(std::string(flag) + " " + v + ": want a number from " + std::to_string(lo) + " to " + std::to_string(hi));
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  int consumed = rte_eal_init(argc, argv);
  if (consumed < 0) die(std::string("the EAL did not start: ") + rte_strerror(rte_errno));
  argc -= consumed;
  argv += consumed;

  using namespace steer::trafgen;
  Options o;
  uint32_t nflows = 64;
  FlowMode mode = FlowMode::Sequential;
  uint64_t seed = 1;
  uint8_t proto = 17;
  bool ipv6 = false;
  std::string flows_file, json_file, expect;
  bool duration_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--flows")
      nflows = uint32_t(number("--flows", val(), 1, 1 << 24));
    else if (a == "--flow-mode") {
      std::string m = val();
      if (m == "seq" || m == "sequential")
        mode = FlowMode::Sequential;
      else if (m == "random")
        mode = FlowMode::Random;
      else
        die("--flow-mode " + m + ": use seq or random");
    } else if (a == "--seed")
      seed = uint64_t(number("--seed", val(), 0, 1e18));
    else if (a == "--flows-file")
      flows_file = val();
    else if (a == "--proto") {
      std::string p = val();
      if (p == "udp")
        proto = 17;
      else if (p == "tcp")
        proto = 6;
      else
        die("--proto " + p + ": use udp or tcp");
    } else if (a == "--ipv6")
      ipv6 = true;
    else if (a == "--size")
      o.size = uint16_t(number("--size", val(), 60, 9000));
    else if (a == "--imix")
      o.imix = true;
    else if (a == "--rate")
      o.rate_pps = number("--rate", val(), 0, 1e9);
    else if (a == "--duration") {
      o.duration_s = number("--duration", val(), 0.001, 86400);
      duration_set = true;
    } else if (a == "--count")
      o.count = uint64_t(number("--count", val(), 1, 1e15));
    else if (a == "--burst-every")
      o.burst_every_ms = number("--burst-every", val(), 0.001, 1e6);
    else if (a == "--burst-len")
      o.burst_len_ms = number("--burst-len", val(), 0.001, 1e6);
    else if (a == "--burst-x")
      o.burst_x = number("--burst-x", val(), 1, 1e4);
    else if (a == "--dst-mac") {
      auto m = steer::parse_mac(val());
      if (!m) die("--dst-mac: write six hex pairs like 02:00:00:00:00:10");
      std::memcpy(o.dst_mac, m->data(), 6);
    } else if (a == "--tx-port")
      o.tx_port = uint16_t(number("--tx-port", val(), 0, 1023));
    else if (a == "--rx-port")
      o.rx_port = uint16_t(number("--rx-port", val(), 0, 1023));
    else if (a == "--queues")
      o.queues = uint16_t(number("--queues", val(), 1, 256));
    else if (a == "--burst")
      o.burst = uint16_t(number("--burst", val(), 1, 512));
    else if (a == "--no-rx")
      o.rx = false;
    else if (a == "--drain-ms")
      o.drain_ms = unsigned(number("--drain-ms", val(), 0, 60000));
    else if (a == "--link-timeout")
      o.link_timeout_s = number("--link-timeout", val(), 0.1, 3600);
    else if (a == "--json")
      json_file = val();
    else if (a == "--expect")
      expect = val();
    else if (a == "--quiet")
      o.progress = false;
    else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else
      die("unknown option \"" + a + "\"; see --help");
  }
  bool rx_port_set = false;
  for (int i = 1; i < argc; ++i) rx_port_set |= std::string(argv[i]) == "--rx-port";
  if (!rx_port_set) o.rx_port = o.tx_port;
  if (!duration_set && !o.count) o.duration_s = 3;
  if ((o.burst_every_ms > 0) != (o.burst_len_ms > 0)) die("--burst-every and --burst-len go together");
  if (o.burst_len_ms > o.burst_every_ms) die("--burst-len must not exceed --burst-every");
  if (o.burst_every_ms > 0 && o.rate_pps <= 0) die("a burst schedule needs a base --rate");

  if (!flows_file.empty()) {
    std::ifstream in(flows_file);
    if (!in) die("cannot open --flows-file " + flows_file);
    std::string why;
    auto f = parse_flows_csv(in, &why);
    if (!f) die(flows_file + ": " + why);
    o.flows = *f;
  } else {
    o.flows = make_flows(nflows, mode, seed, proto, ipv6);
  }
  std::vector<Expectation> expectations;
  if (!expect.empty()) {
    std::string why;
    auto e = parse_expect(expect, &why);
    if (!e) die("--expect: " + why);
    expectations = *e;
  }
  if (rte_eth_dev_count_avail() == 0) die("no ports: give one with --vdev (e.g. net_memif0,role=client,socket=...)");

  // SIGINT/SIGTERM end the run early; the summary still covers what was sent.
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  o.stop = &g_stop;
  Results r;
  std::string why;
  if (!run(o, &r, &why)) {
    if (!r.link_down) die(why);
    std::fprintf(stderr, "steer-trafgen: %s\n", why.c_str());
    return 4;  // the link never came up: nothing was sent
  }
  std::printf("%s", summary(r).c_str());
  if (!json_file.empty()) {
    std::ofstream js(json_file);
    js << to_json(r);
    if (!js) die("cannot write " + json_file);
  }
  int rc = 0;
  for (const auto& f : check_expect(r, expectations)) {
    std::printf("EXPECT FAILED: %s\n", f.c_str());
    rc = 3;
  }
  if (!expectations.empty() && rc == 0) std::printf("expectations met: %s\n", expect.c_str());
  uint16_t p;
  RTE_ETH_FOREACH_DEV(p)(void) rte_eth_dev_close(p);
  rte_eal_cleanup();
  return rc;
}
