// One EAL per test binary: --no-huge --no-pci, a file prefix of its own (name
// + pid), lcores mapped onto the machine's CPUs, and a test mbuf pool with no
// per-lcore cache so its in-use count is exact. Registered as a GoogleTest
// environment; the runtime directory is removed at the end.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <filesystem>
#include <string>
#include <vector>

namespace steer::testing {

class EalEnvironment : public ::testing::Environment {
 public:
  EalEnvironment(std::string name, std::string lcores, unsigned memory_mb, unsigned pool_mbufs, rte_mempool** pool)
      : name_(std::move(name)), lcores_(std::move(lcores)), memory_mb_(memory_mb), mbufs_(pool_mbufs), pool_(pool) {}

  void SetUp() override {
    prefix_ = name_ + "_" + std::to_string(getpid());
    std::vector<std::string> args = {
        name_,   "--no-huge", "--no-pci", "-m",          std::to_string(memory_mb_), "--file-prefix",
        prefix_, "--lcores",  lcores_,    "--log-level", "lib.eal:warning",          "--no-telemetry"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(int(argv.size()), argv.data()), 0) << "EAL init failed";
    *pool_ = rte_pktmbuf_pool_create((name_ + "_pool").c_str(), mbufs_, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(*pool_, nullptr);
  }
  void TearDown() override {
    rte_mempool_free(*pool_);
    rte_eal_cleanup();
    std::filesystem::remove_all("/var/run/dpdk/" + prefix_);
  }

 private:
  std::string name_, lcores_, prefix_;
  unsigned memory_mb_, mbufs_;
  rte_mempool** pool_;
};

}  // namespace steer::testing
