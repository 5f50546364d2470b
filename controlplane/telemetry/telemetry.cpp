#include "telemetry.h"

#include <rte_telemetry.h>

#include <map>
#include <mutex>
#include <string>

#include "steer/stats.h"

namespace steer::telemetry {
namespace {

std::mutex g_mu;  // held by a command while it reads, and by detach
const Dataplane* g_dp = nullptr;

int ports(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_dp) return -1;
  rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
  for (const auto& p : g_dp->ports()) rte_tel_data_add_array_string(d, p.name.c_str());
  return 0;
}

int steering(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_dp || !params) return -1;
  for (const auto& p : g_dp->ports()) {
    if (p.name != params) continue;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "port", p.name.c_str());
    rte_tel_data_add_dict_string(d, "driver", p.caps.driver.c_str());
    rte_tel_data_add_dict_int(d, "steered", p.steered);
    if (!p.steered) return 0;
    rte_tel_data_add_dict_string(d, "backend", to_string(p.backend));
    rte_tel_data_add_dict_string(d, "why", p.backend_reason.substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
    rte_tel_data_add_dict_u64(d, "generation", g_dp->generation(p.name));
    if (auto s = g_dp->steering(p.name)) {
      rte_tel_data_add_dict_u64(d, "reta_size", s->rss.reta.size());
      rte_tel_data_add_dict_u64(d, "rules", s->flows.size());
      rte_tel_data_add_dict_int(d, "drain", s->drain);
    }
    return 0;
  }
  return -1;  // no such port
}

// A port's queue counters, summed over the rows of each queue (a queue fed
// by two dispatchers has two rows): {"0": {"rx": …, …}, "1": …}.
int queues(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_dp || !params) return -1;
  const StatsSnapshot s = g_dp->stats();
  std::map<uint16_t, QueueStats> sum;
  for (const auto& q : s.queues)
    if (q.port == params) sum[q.queue] += q.s;
  if (sum.empty()) return -1;
  rte_tel_data_start_dict(d);
  for (const auto& [queue, st] : sum) {
    rte_tel_data* c = rte_tel_data_alloc();
    rte_tel_data_start_dict(c);
    for (const auto& f : kQueueFields) rte_tel_data_add_dict_u64(c, f.name, st.*f.value);
    rte_tel_data_add_dict_container(d, std::to_string(queue).c_str(), c, 0);
  }
  return 0;
}

int lcores(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_dp) return -1;
  const StatsSnapshot s = g_dp->stats();
  rte_tel_data_start_dict(d);
  for (const auto& l : s.lcores) {
    rte_tel_data* c = rte_tel_data_alloc();
    rte_tel_data_start_dict(c);
    for (const auto& f : kLcoreFields) rte_tel_data_add_dict_u64(c, f.name, l.*f.value);
    rte_tel_data_add_dict_container(d, std::to_string(l.lcore).c_str(), c, 0);
  }
  return 0;
}

}  // namespace

void attach(const Dataplane& dp) {
  static std::once_flag once;
  std::call_once(once, [] {
    rte_telemetry_register_cmd("/steer/ports", ports, "steerd's ports. No parameters");
    rte_telemetry_register_cmd("/steer/steering", steering,
                               "A port's steering: backend, generation, RETA size, rules. Parameter: port name");
    rte_telemetry_register_cmd("/steer/queues", queues,
                               "A port's per-queue counters (steerd's lcores). Parameter: port name");
    rte_telemetry_register_cmd("/steer/lcores", lcores, "Per-lcore loop and cycle counters. No parameters");
  });
  std::lock_guard<std::mutex> lock(g_mu);
  g_dp = &dp;
}

void detach() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_dp = nullptr;
}

}  // namespace steer::telemetry
