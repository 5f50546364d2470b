// The state journal's precedence at start (journal.h), its atomic write, and
// the line diff steerctl diff prints. Files in a fresh temporary directory;
// no EAL.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "config.h"
#include "journal.h"
#include "steer/line_diff.h"

namespace {

using steer::state::Outcome;

const char* kFile =
    R"yaml(eal: {lcores: "(0-3)@(0,1)", main_lcore: 0, memory_mb: 256, hugepages: false, file_prefix: st}
ports:
  - name: p0
    device: "net_ring0"
    rx_queues: 2
    tx_queues: 2
    steering:
      rss: {types: [ipv4, ipv4-udp], reta: {size: 8, spread: [0, 1]}}
      flows:
        - {name: dns, priority: 10, match: {udp_dst: 53}, action: {queue: 1}}
lcores:
  - {lcore: 1, dispatch: [p0:0]}
  - {lcore: 2, poll: [p0:0]}
  - {lcore: 3, poll: [p0:1]}
pipelines:
  - {queues: "p0:*", action: echo}
)yaml";

steer::Deployment load(const std::string& text) {
  std::istringstream in(text);
  auto r = steer::load_config(in, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0]);
  return r.deployment;
}

class Journal : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/steer-state-XXXXXX";
    dir = mkdtemp(tmpl);
    file = load(kFile);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // The journal as steerd writes it after a change moved the RETA.
  steer::Deployment changed() const {
    steer::Deployment r = file;
    r.ports[0].steering->rss.reta = {1, 1, 1, 1, 0, 0, 0, 1};
    return r;
  }
  void journal(const steer::Deployment& running, uint64_t gen, const std::string& file_text) const {
    steer::state::Journaled j;
    j.file = "test.yaml";
    j.file_digest = steer::state::digest(file_text);
    j.generations["p0"] = gen;
    j.running_yaml = steer::to_yaml(running);
    std::string why;
    ASSERT_TRUE(steer::state::Journal(dir).write(j, &why)) << why;
  }
  size_t files() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
    return n;
  }

  std::string dir;
  steer::Deployment file;
};

TEST_F(Journal, NoJournalMeansTheFileAtGenerationZero) {
  auto d = steer::state::Journal(dir).decide(file, steer::state::digest(kFile));
  EXPECT_EQ(d.outcome, Outcome::None);
  EXPECT_TRUE(d.generations.empty());
  EXPECT_EQ(steer::to_yaml(d.deployment), steer::to_yaml(file));
}

TEST_F(Journal, UnchangedFileRestoresTheRunningSteeringAndGeneration) {
  journal(changed(), 7, kFile);
  EXPECT_EQ(files(), 1u) << "the temporary is renamed over, not left behind";
  auto d = steer::state::Journal(dir).decide(file, steer::state::digest(kFile));
  EXPECT_EQ(d.outcome, Outcome::Restored) << d.message;
  EXPECT_EQ(d.generations.at("p0"), 7u);
  EXPECT_EQ(d.deployment.ports[0].steering->rss.reta, changed().ports[0].steering->rss.reta);
  EXPECT_NE(d.message.find("p0 at generation 7"), std::string::npos) << d.message;
}

TEST_F(Journal, ChangedFileWinsAndTheJournalIsArchived) {
  journal(changed(), 7, kFile);
  std::string edited = kFile;
  edited.replace(edited.find("spread: [0, 1]"), 14, "spread: [1, 0]");
  const steer::Deployment other = load(edited);
  steer::state::Journal j(dir);
  auto d = j.decide(other, steer::state::digest(edited));
  EXPECT_EQ(d.outcome, Outcome::Archived) << d.message;
  EXPECT_TRUE(d.generations.empty());
  EXPECT_EQ(steer::to_yaml(d.deployment), steer::to_yaml(other));
  EXPECT_EQ(files(), 1u) << "decide() changes nothing on disk";
  std::string to, why;
  ASSERT_TRUE(j.archive(&to, &why)) << why;
  EXPECT_FALSE(std::filesystem::exists(j.path()));
  EXPECT_TRUE(std::filesystem::exists(to));
  EXPECT_EQ(j.decide(other, steer::state::digest(edited)).outcome, Outcome::None);
}

TEST_F(Journal, AFileSavedFromTheRunningStateKeepsTheGeneration) {
  journal(changed(), 7, kFile);
  const std::string saved = "# written by steerctl save\n" + steer::to_yaml(changed());
  auto d = steer::state::Journal(dir).decide(load(saved), steer::state::digest(saved));
  EXPECT_EQ(d.outcome, Outcome::Adopted) << d.message;
  EXPECT_EQ(d.generations.at("p0"), 7u);
  EXPECT_EQ(d.deployment.ports[0].steering->rss.reta, changed().ports[0].steering->rss.reta);
}

TEST_F(Journal, AnUnreadableJournalIsArchivedWithTheReason) {
  for (const char* junk : {"{{{ not yaml", "journal: 99\n", "journal: 1\nfile_digest: x\nrunning: \"ports: 3\"\n"}) {
    std::ofstream(steer::state::Journal(dir).path()) << junk;
    auto d = steer::state::Journal(dir).decide(file, steer::state::digest(kFile));
    EXPECT_EQ(d.outcome, Outcome::Archived) << junk;
    EXPECT_NE(d.message.find("running.yaml"), std::string::npos) << d.message;
    EXPECT_TRUE(d.generations.empty());
    EXPECT_EQ(steer::to_yaml(d.deployment), steer::to_yaml(file));
  }
}

TEST_F(Journal, AWriteIntoAMissingDirectoryFailsAndSaysWhere) {
  steer::state::Journal j(dir + "/absent");
  std::string why;
  EXPECT_FALSE(j.write({}, &why));
  EXPECT_NE(why.find(dir + "/absent"), std::string::npos) << why;
}

TEST(Digest, TellsAnEditedFileFromTheSameOne) {
  EXPECT_EQ(steer::state::digest("abc"), steer::state::digest("abc"));
  EXPECT_NE(steer::state::digest("abc"), steer::state::digest("abd"));
  EXPECT_NE(steer::state::digest("abc"), steer::state::digest("abc "));
}

// ---- line diff --------------------------------------------------------------

TEST(LineDiff, EqualTextsGiveNothing) {
  EXPECT_EQ(steer::line_diff("a\nb\n", "a\nb\n", "x", "y"), "");
}

TEST(LineDiff, OneChangedLineWithContext) {
  const std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n", b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(steer::line_diff(a, b, "file", "running"),
            "--- file\n+++ running\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(LineDiff, FarApartChangesAreTwoHunks) {
  std::string a, b;
  for (int i = 0; i < 30; ++i) {
    a += std::to_string(i) + "\n";
    b += (i == 3 || i == 25 ? "x" : std::to_string(i)) + "\n";
  }
  const std::string d = steer::line_diff(a, b, "a", "b");
  EXPECT_NE(d.find("@@ -1,7 +1,7 @@"), std::string::npos) << d;
  EXPECT_NE(d.find("@@ -23,7 +23,7 @@"), std::string::npos) << d;
}

// With unbounded context the one hunk holds both texts: ' ' and '-' lines
// give a, ' ' and '+' lines give b, and it changes no more lines than the
// texts' longest common subsequence leaves.
TEST(LineDiff, RandomTextsAreReconstructedFromTheDiff) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string a, b;
    const int n = int(rng() % 20), m = int(rng() % 20);
    std::vector<std::string> av, bv;
    for (int i = 0; i < n; ++i) av.push_back(std::string(1, char('a' + rng() % 4)));
    for (int i = 0; i < m; ++i) bv.push_back(std::string(1, char('a' + rng() % 4)));
    for (auto& l : av) a += l + "\n";
    for (auto& l : bv) b += l + "\n";
    const std::string d = steer::line_diff(a, b, "a", "b", 1000);
    if (a == b) {
      EXPECT_EQ(d, "");
      continue;
    }
    std::istringstream in(d);
    std::string line, ra, rb;
    size_t changed = 0;
    while (std::getline(in, line)) {
      if (line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0 || line.rfind("@@", 0) == 0) continue;
      if (line[0] != '+') ra += line.substr(1) + "\n";
      if (line[0] != '-') rb += line.substr(1) + "\n";
      changed += line[0] != ' ';
    }
    EXPECT_EQ(ra, a);
    EXPECT_EQ(rb, b);
    std::vector<std::vector<size_t>> lcs(av.size() + 1, std::vector<size_t>(bv.size() + 1));
    for (size_t i = av.size(); i-- > 0;)
      for (size_t j = bv.size(); j-- > 0;)
        lcs[i][j] = av[i] == bv[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    EXPECT_EQ(changed, av.size() + bv.size() - 2 * lcs[0][0]);
  }
}

}  // namespace
