#include "log.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#define SD_JOURNAL_SUPPRESS_LOCATION  // the sink is not where a line comes from
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <rte_log.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <vector>

namespace steer::log {
namespace {

thread_local std::vector<std::pair<const char*, std::string>> t_fields;
std::atomic<bool> g_journal{false};
std::mutex g_levels_mu;
LogConfig g_levels;

// Journal priorities (syslog's) for spdlog's levels.
int priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    default:
      return 2;
  }
}

// One journal entry per line: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, and this
// thread's structured fields.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::vector<std::string> kv;
    kv.reserve(3 + t_fields.size());
    kv.push_back("MESSAGE=" + std::string(msg.payload.data(), msg.payload.size()));
    kv.push_back("PRIORITY=" + std::to_string(priority(msg.level)));
    kv.push_back("SYSLOG_IDENTIFIER=steerd");
    for (const auto& [k, v] : t_fields) kv.push_back(std::string(k) + "=" + v);
    std::vector<iovec> iov(kv.size());
    for (size_t i = 0; i < kv.size(); ++i) iov[i] = {kv[i].data(), kv[i].size()};
    (void)sd_journal_sendv(iov.data(), int(iov.size()));
  }
  void flush_() override {}
};

// systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected to
// journald; only when stderr is still that stream do lines go to the journal.
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

int dpdk_level(const std::string& name) {  // RTE_LOG_EMERG (1) .. RTE_LOG_DEBUG (8); 0: unknown
  for (size_t i = 0; i < std::size(kDpdkLogLevels); ++i)
    if (name == kDpdkLogLevels[i]) return int(i) + 1;
  return 0;
}

bool valid_level(const std::string& name) {
  for (const char* l : kLogLevels)
    if (name == l) return true;
  return false;
}

// rte_log's stream: each message (rte_vlog flushes after each) becomes a line
// of steerd's logger at the level DPDK gave it.
ssize_t dpdk_write(void*, const char* buf, size_t size) {
  std::string_view s(buf, size);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return ssize_t(size);
  const unsigned l = unsigned(rte_log_cur_msg_loglevel());
  const auto level = l <= RTE_LOG_CRIT      ? spdlog::level::critical
                     : l == RTE_LOG_ERR     ? spdlog::level::err
                     : l == RTE_LOG_WARNING ? spdlog::level::warn
                     : l == RTE_LOG_DEBUG   ? spdlog::level::debug
                                            : spdlog::level::info;
  Fields f{{"STEER_SOURCE", "dpdk"}};
  spdlog::log(level, "dpdk: {}", s);
  return ssize_t(size);
}

}  // namespace

void init(const LogConfig& c) {
  if (stderr_is_journal()) {
    g_journal = true;
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("steerd", std::make_shared<JournalSink>()));
  }
  std::string why;
  (void)set_levels(c.level, c.dpdk, &why);  // validated with the deployment
  static cookie_io_functions_t io{nullptr, dpdk_write, nullptr, nullptr};
  if (FILE* f = fopencookie(nullptr, "w", io)) {
    setvbuf(f, nullptr, _IOFBF, 4096);
    rte_openlog_stream(f);
  }
}

bool set_levels(const std::string& level, const std::string& dpdk, std::string* why) {
  if (!level.empty() && !valid_level(level)) {
    *why = "level: \"" + level + "\" is not a level; use trace, debug, info, warn, error, critical or off";
    return false;
  }
  if (!dpdk.empty() && !dpdk_level(dpdk)) {
    *why = "dpdk: \"" + dpdk +
           "\" is not a DPDK log level; use emergency, alert, critical, error, warning, notice, info or debug";
    return false;
  }
  std::lock_guard<std::mutex> lock(g_levels_mu);
  if (!level.empty()) {
    spdlog::set_level(spdlog::level::from_str(level));
    g_levels.level = level;
  }
  if (!dpdk.empty()) {
    rte_log_set_global_level(uint32_t(dpdk_level(dpdk)));
    g_levels.dpdk = dpdk;
  }
  return true;
}

LogConfig levels() {
  std::lock_guard<std::mutex> lock(g_levels_mu);
  return g_levels;
}

bool to_journal() {
  return g_journal;
}

Fields::Fields(std::initializer_list<std::pair<const char*, std::string>> f) : mark_(t_fields.size()) {
  t_fields.insert(t_fields.end(), f.begin(), f.end());
}

Fields::~Fields() {
  t_fields.resize(mark_);
}

}  // namespace steer::log
