// steerd: the long-running process. Loads and validates the deployment, builds
// the EAL arguments, starts the dataplane, then the main lcore serves signals
// (and, later, the gRPC control plane) while workers move packets.
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../config/config.h"
#include "../controller.h"
#include "../rpc/server.h"
#include "demo_config.h"
#include "device_guard.h"
#include "journal.h"
#include "log.h"
#include "metrics_server.h"
#include "privileges.h"
#include "service.h"
#include "steer/dataplane.h"
#include "steer/eal.h"
#include "steer/plan.h"
#include "steer/steering.h"
#include "steer/text.h"
#include "steer/toeplitz.h"
#include "telemetry.h"

namespace {

void usage(FILE* to) {
  std::fputs(
      "usage: steerd [--config FILE] [--check] [--stats-interval SECONDS]\n"
      "\n"
      "  --config FILE           the YAML deployment (default: the embedded demo, configs/demo.yaml)\n"
      "  --check                 validate and print the plan (ports, queues, lcores, pools); start nothing\n"
      "  --stats-interval SECS   print the counter table every SECS seconds (0: only on SIGUSR1 and at exit)\n"
      "  --state-dir DIR         keep live steering changes in DIR/running.yaml across restarts\n"
      "                          (default: $STATE_DIRECTORY, set by systemd's StateDirectory=; none without it)\n"
      "  --test-stall L,AFTER,FOR  tests only: worker lcore L stops looping for FOR ms, AFTER ms after start\n"
      "  --print-demo-config     print the embedded demo deployment and exit\n"
      "\n"
      "signals: SIGINT/SIGTERM stop cleanly; SIGUSR1 prints the counters.\n",
      to);
}

// Free hugepage memory on the machine, in bytes, from sysfs.
uint64_t free_hugepage_bytes() {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    const std::string name = e.path().filename().string();  // hugepages-2048kB
    uint64_t kb = std::strtoull(name.c_str() + std::strlen("hugepages-"), nullptr, 10);
    std::ifstream f(e.path() / "free_hugepages");
    uint64_t n = 0;
    if (f >> n) total += n * kb * 1024;
  }
  return total;
}

// The deployment's text: the file, or the embedded demo.
steer::ConfigResult load(const std::string& path, std::string* text) {
  if (!path.empty()) return steer::load_config_file(path, text);
  *text = steer::kDemoConfig;
  std::istringstream in(*text);
  return steer::load_config(in, "<embedded configs/demo.yaml>");
}

// The file's identity as the journal records it; a reload replaces it.
struct FileIdentity {
  std::mutex mu;
  std::string digest;
  std::string get() {
    std::lock_guard<std::mutex> l(mu);
    return digest;
  }
  void set(std::string d) {
    std::lock_guard<std::mutex> l(mu);
    digest = std::move(d);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, state_dir;
  bool check = false;
  unsigned stats_interval = 0;
  steer::StartOptions start_options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "steerd: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config" || a == "-c")  // absolute: the journal, diff and reload name it wherever they run
      config_path = std::filesystem::absolute(value("--config")).lexically_normal().string();
    else if (a == "--check")
      check = true;
    else if (a == "--state-dir")
      state_dir = value("--state-dir");
    else if (a == "--stats-interval")
      stats_interval = unsigned(std::strtoul(value("--stats-interval").c_str(), nullptr, 10));
    else if (a == "--test-stall") {  // tests only: LCORE,AFTER_MS,FOR_MS (a stuck lcore, for the watchdog)
      unsigned lcore = 0, after = 0, len = 0;
      if (std::sscanf(value("--test-stall").c_str(), "%u,%u,%u", &lcore, &after, &len) != 3) {
        std::fprintf(stderr, "steerd: --test-stall takes LCORE,AFTER_MS,FOR_MS\n");
        return 2;
      }
      start_options.stall_worker_ms[lcore] = {after, len};
    } else if (a == "--print-demo-config") {
      std::fputs(steer::kDemoConfig, stdout);
      return 0;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "steerd: unknown argument \"%s\"; see steerd --help\n", a.c_str());
      return 2;
    }
  }

  std::string file_text;
  steer::ConfigResult cfg = load(config_path, &file_text);
  if (!cfg.ok()) {
    for (const auto& e : cfg.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "steerd: %zu error(s) in the deployment; nothing was started\n", cfg.errors.size());
    return 2;
  }
  FileIdentity file_id;
  file_id.set(steer::state::digest(file_text));

  // The state journal decides what steering to start with (journal.h: the
  // precedence). Nothing on disk changes before the decision is acted on,
  // so --check only reports it.
  if (state_dir.empty())
    if (const char* sd = std::getenv("STATE_DIRECTORY"); sd && *sd)
      state_dir = std::string(sd).substr(0, std::string(sd).find(':'));
  std::optional<steer::state::Journal> journal;
  steer::state::Decision decision;
  decision.deployment = cfg.deployment;
  if (!state_dir.empty()) {
    journal.emplace(state_dir);
    decision = journal->decide(cfg.deployment, file_id.get());
  }
  const steer::Deployment& d = decision.deployment;
  start_options.generations = decision.generations;

  // The plan before the EAL exists: vdevs report no socket, so ports sit on the
  // first pool's socket (or their socket: override). The dataplane re-plans with
  // what the devices report.
  std::vector<steer::ConfigError> plan_errs;
  steer::Plan plan = steer::make_plan(d, {}, &plan_errs);
  if (!plan_errs.empty()) {
    for (const auto& e : plan_errs) std::fprintf(stderr, "%s\n", cfg.locate(e).c_str());
    return 2;
  }
  steer::privileges::Identity identity;
  if (!d.privileges.user.empty()) {
    std::string why;
    if (!steer::privileges::find(d.privileges.user, &identity, &why)) {
      std::fprintf(stderr, "%s\n", why.c_str());
      return 2;
    }
  }
  if (check) {
    std::fputs(steer::format_plan(d, plan).c_str(), stdout);
    if (journal)
      std::printf("state: %s: %s\n", steer::state::to_string(decision.outcome), decision.message.c_str());
    else
      std::printf("state: no state directory (--state-dir or $STATE_DIRECTORY): live changes end with the process\n");
    if (!d.privileges.user.empty())
      std::printf("privileges: after init, run as %s (uid %u, gid %u) with no capabilities\n", identity.user.c_str(),
                  unsigned(identity.uid), unsigned(identity.gid));
    std::printf("\nEAL arguments:");
    for (const auto& a : steer::eal_args(d, "steerd")) std::printf(" %s", a.c_str());
    std::printf("\nconfiguration OK (device limits and NUMA placement are checked at start)\n");
    return 0;
  }
  if (d.eal.hugepages) {
    std::string shortfall = steer::check_hugepage_memory(plan, free_hugepage_bytes());
    if (!shortfall.empty()) {
      std::fprintf(stderr, "steerd: %s\n", shortfall.c_str());
      return 1;
    }
  }

  // Block the signals we serve before the EAL starts threads, so they inherit
  // the mask and only the main thread takes them (sigtimedwait below).
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGHUP}) sigaddset(&sigs, s);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  steer::log::init(d.log);  // before the EAL, so its own lines land in the same logger
  if (journal) {
    std::error_code ec;
    std::filesystem::create_directories(journal->dir(), ec);
    if (ec) {
      std::fprintf(stderr, "steerd: cannot create the state directory %s (%s); fix --state-dir or its parent\n",
                   journal->dir().c_str(), ec.message().c_str());
      return 1;
    }
    if (decision.outcome == steer::state::Outcome::Archived) {
      std::string to, why;
      if (journal->archive(&to, &why))
        spdlog::warn("state: {}: {}", decision.message, to);
      else
        spdlog::error("state: {}; {}", decision.message, why);
    } else {
      spdlog::info("state: {}", decision.message);
    }
  } else {
    spdlog::info("state: no state directory (--state-dir or $STATE_DIRECTORY): live changes end with the process");
  }
  // systemd's RuntimeDirectory=steerd dpdk sets RUNTIME_DIRECTORY to both,
  // joined by ':', and the EAL takes that whole value as its runtime
  // directory's parent (found by running the unit under systemd: "Error
  // creating '/run/dpdk:/run/steerd/dpdk'"). Without it the EAL uses
  // /var/run/dpdk/<file_prefix>, where dpdk-telemetry.py and dpdk-dumpcap look.
  if (const char* rd = std::getenv("RUNTIME_DIRECTORY"); rd && std::strchr(rd, ':')) unsetenv("RUNTIME_DIRECTORY");
  std::vector<std::string> args = steer::eal_args(d, argv[0]);
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  spdlog::info("starting EAL:{}", [&] {
    std::string s;
    for (const auto& a : args) s += " " + a;
    return s;
  }());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr,
                 "steerd: the DPDK EAL did not start (%s); check eal.lcores against the CPUs here, "
                 "eal.memory_mb, hugepages, and that no other process uses file prefix \"%s\"\n",
                 rte_strerror(rte_errno), d.eal.file_prefix.c_str());
    return 1;
  }
  // rte_eal_init resets the calling thread's signal mask; block ours again so
  // they wait for sigtimedwait instead of killing the process mid-print.
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  // Packet capture by DPDK's own tools: dpdk-dumpcap (a port, pcapng) and
  // dpdk-pdump (a port and queue) attach as secondary processes and ask, over
  // the EAL's multi-process channel, for RX/TX callbacks on the device queues.
  // Nothing runs on the lcores until a capture starts. A secondary maps the
  // primary's memory, so it needs eal.hugepages: true.
  const bool capture = rte_pdump_init() == 0;
  if (!capture)
    spdlog::warn("capture: rte_pdump_init failed ({}); dpdk-dumpcap and dpdk-pdump cannot attach",
                 rte_strerror(rte_errno));
  else if (d.eal.hugepages)
    spdlog::info("capture: dpdk-dumpcap --file-prefix={} -i <device> (or dpdk-pdump) can attach", d.eal.file_prefix);
  else
    spdlog::info("capture: dpdk-dumpcap and dpdk-pdump need eal.hugepages: true (they map steerd's memory)");

  int rc = 0;
  {
    steer::Dataplane dp;
    std::vector<std::string> warnings;
    auto errs = dp.start(d, &warnings, start_options);
    for (const auto& w : warnings) spdlog::warn("{}", w);
    if (!errs.empty()) {
      for (const auto& e : errs) std::fprintf(stderr, "%s\n", cfg.locate(e).c_str());
      std::fprintf(stderr, "steerd: the dataplane did not start; nothing is running\n");
      rc = 1;
    } else {
      for (const auto& p : dp.ports())
        spdlog::info("port {}: {} (port id {}), mac {}, up to {} rx / {} tx queues", p.name, p.caps.driver, p.port_id,
                     steer::format_mac(p.mac), p.caps.max_rx_queues, p.caps.max_tx_queues);
      for (const auto& p : dp.ports()) {
        if (!p.steered) continue;
        spdlog::info("port {}: steering in {} ({})", p.name, steer::to_string(p.backend), p.backend_reason);
        if (p.backend == steer::SteeringMode::Software)
          spdlog::info(
              "port {}: classifier: Toeplitz {}, rule lookup {} (STEER_TOEPLITZ=table forces the table; "
              "STEER_LOOKUP=vector asks for AVX-512)",
              p.name, steer::ToeplitzGfni::usable() ? "GFNI" : "table",
              steer::SteeringTable::vector_lookup_default() ? "AVX-512" : "scalar");
      }
      for (const auto& pp : dp.plan().pools)
        spdlog::info("mempool socket {}: {} mbufs ({})", pp.socket, pp.mbufs, pp.auto_sized ? "auto" : "explicit");
      steer::Controller controller(dp, d);
      steer::service::Notifier notifier;  // systemd's NOTIFY_SOCKET, if any
      // STATUS= follows every applied change (its generation), whichever path.
      controller.on_change([&](const steer::ChangeReport&) { notifier.status(steer::service::status_line(dp)); });
      // Every committed change is journaled, whichever path made it: its
      // record appended (journal.h), the base rewritten when the log outgrows it.
      std::optional<steer::state::Keeper> keeper;
      if (journal) {
        keeper.emplace(*journal, [&] {
          std::map<std::string, uint64_t> gens;
          for (const auto& p : d.ports)
            if (p.steering) gens[p.name] = dp.generation(p.name);
          steer::state::Journaled j = steer::state::base_of(controller.running(), gens);
          j.file = config_path;
          j.file_digest = file_id.get();
          return j;
        });
        controller.on_applied([&](const steer::ChangeReport& r, const steer::SteeringChange& c) {
          keeper->append(r.port, r.generation, c);
        });
        // A base of what starts now, written against this file (a restored or
        // adopted journal may have been written against an earlier, equivalent
        // text; an archived one is gone), so the first change is a record.
        keeper->commit();
      }
      steer::ControlServer control(dp, controller, d);
      control.set_config_file(config_path);
      // A start step failed: say why and undo the steps before it.
      auto abandon = [&](const std::string& why) {
        std::fprintf(stderr, "steerd: %s\n", why.c_str());
        steer::telemetry::detach();
        control.shutdown();
        dp.stop();
        dp.close();
        if (capture) rte_pdump_uninit();
        rte_eal_cleanup();
        return 1;
      };
      if (!d.control.socket.empty() || !d.control.tcp_address.empty()) {
        std::string why;
        if (!control.start(d.control, &why)) return abandon(why);
        spdlog::info("control plane on {}", control.where());
      }
      steer::telemetry::attach(dp);  // /steer/* beside /ethdev/* in dpdk-telemetry.py
      struct Detach {
        ~Detach() { steer::telemetry::detach(); }  // on every way out of this scope, before dp goes
      } detach_telemetry;
      steer::MetricsServer metrics(dp);
      controller.on_change([&metrics](const steer::ChangeReport& r) { metrics.on_change(r); });
      if (!d.metrics.address.empty()) {
        std::string why;
        if (!metrics.start(d.metrics.address, &why)) return abandon(why);
        spdlog::info("metrics on http://{}/metrics", d.metrics.address);
      }
      // Everything that needs root is done: hugepages mapped, devices and
      // sockets open. From here on steerd runs as the configured user.
      if (!d.privileges.user.empty()) {
        std::string why;
        if (journal && !steer::privileges::hand_over(journal->dir(), identity, &why)) return abandon(why);
        if (!steer::privileges::become(identity, &why)) return abandon(why);
        spdlog::info("privileges: now running as {} (uid {}, gid {}); no capabilities left in any thread",
                     identity.user, identity.uid, identity.gid);
        if (!config_path.empty() && access(config_path.c_str(), R_OK) != 0)
          spdlog::warn(
              "privileges: {} cannot read {} (or its directory), so SIGHUP and reload cannot re-read it; "
              "make it readable by that user",
              identity.user, config_path);
      }
      spdlog::info("running: {} worker lcore(s), poll {}; SIGUSR1 prints counters, SIGINT/SIGTERM stops",
                   d.lcores.size(), steer::to_string(d.dataplane.poll));
      std::fflush(stdout);

      // SIGHUP: re-read the file and apply the difference through the
      // Controller, as the control plane's Apply does (steering changes only,
      // live; events published the same way).
      auto reload = [&] {
        if (config_path.empty()) {
          spdlog::warn("SIGHUP: steerd runs the embedded demo, there is no file to re-read");
          return;
        }
        std::string text;
        steer::ConfigResult next = load(config_path, &text);
        if (!next.ok()) {
          for (const auto& e : next.errors) spdlog::error("SIGHUP: {}", e);
          spdlog::error("SIGHUP: {} is invalid; nothing changed", config_path);
          return;
        }
        auto out = controller.apply(next.deployment, false);
        for (const auto& e : out.errors) spdlog::error("SIGHUP: {}{}", e.path.empty() ? "" : e.path + ": ", e.message);
        if (!out.errors.empty()) return;
        controller.exclusive([&] {
          file_id.set(steer::state::digest(text));  // the running state derives from this text now
          if (keeper) keeper->commit();
        });
        if (out.reports.empty())
          spdlog::info("SIGHUP: {} matches the running deployment", config_path);
        else
          spdlog::info("SIGHUP: {} applied: {} port(s) changed", config_path, out.reports.size());
      };
      // systemd: ready now that the ports are up, the lcores run and the
      // control socket listens. The watchdog is checked twice per interval.
      notifier.ready(steer::service::status_line(dp));
      using clock = std::chrono::steady_clock;
      const auto wd = std::chrono::duration_cast<std::chrono::milliseconds>(notifier.watchdog());
      const long tick_ms = wd.count() ? std::clamp<long>(wd.count() / 2, 10, 1000) : 1000;
      if (wd.count()) {
        spdlog::info("systemd watchdog every {} ms: petted while every lcore's loop count advances", wd.count());
        (void)notifier.check(dp.heartbeats());  // the baseline
      }
      auto next_stats = clock::now() + std::chrono::seconds(stats_interval);
      std::vector<unsigned> stuck;
      for (;;) {
        const timespec tick{tick_ms / 1000, (tick_ms % 1000) * 1000000L};
        int sig = sigtimedwait(&sigs, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
          spdlog::info("{}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
          notifier.stopping();
          break;
        }
        if (sig == SIGUSR1 || (stats_interval && clock::now() >= next_stats)) {
          next_stats = clock::now() + std::chrono::seconds(stats_interval);
          std::printf("%s\n", steer::format_stats(dp.stats()).c_str());
          std::fflush(stdout);
        } else if (sig == SIGHUP) {
          notifier.reloading();
          reload();
          notifier.ready(steer::service::status_line(dp));
        }
        if (wd.count()) {
          auto now_stuck = notifier.check(dp.heartbeats());
          if (now_stuck != stuck) {
            for (unsigned l : now_stuck)
              spdlog::error("lcore {}: its loop count has not moved for {} ms; the systemd watchdog is not petted", l,
                            tick_ms);
            if (now_stuck.empty()) {
              spdlog::warn("every lcore loops again; the watchdog is petted again");
              notifier.status(steer::service::status_line(dp));
            }
            stuck = now_stuck;
          }
        }
      }
      metrics.stop();
      control.shutdown();
      dp.stop();
      std::printf("final counters:\n%s", steer::format_stats(dp.stats()).c_str());
      const auto guard = steer::device_guard::stats();
      std::printf("device guard: %llu teardown waits, longest %.1f us\n", (unsigned long long)guard.waits,
                  double(guard.longest_ns) / 1e3);
      std::fflush(stdout);
    }
    dp.close();
  }
  if (capture) rte_pdump_uninit();
  rte_eal_cleanup();
  return rc;
}
