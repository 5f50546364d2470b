// The state journal's precedence at start (journal.h), its atomic write, its
// change log (records, torn and bad ones, replay, compaction), and the line
// diff steerctl diff prints. Files in a fresh temporary directory;
// no EAL.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "change_log.h"
#include "config.h"
#include "journal.h"
#include "steer/line_diff.h"
#include "steer/text.h"
#include "steer/validate.h"

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
  // `base` written as steerd writes it against kFile, and read back.
  steer::state::Decision restore(steer::state::Journaled base) const {
    base.file_digest = steer::state::digest(kFile);
    std::string why;
    EXPECT_TRUE(steer::state::Journal(dir).write(base, &why)) << why;
    return steer::state::Journal(dir).decide(file, steer::state::digest(kFile));
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

// A file saved from the running state is adopted only when its steering is
// the journal's in every field the file can say; one field different (the
// file then also differs from the one the journal was written against) and
// the journal is archived.
TEST_F(Journal, AdoptedOnlyWhenEverySteeringFieldIsTheJournals) {
  steer::Deployment run = changed();
  steer::SteeringConfig& rs = *run.ports[0].steering;
  for (uint32_t i = 0; i < 3; ++i) {
    steer::FlowRule r{"r" + std::to_string(i), 100 + i, {}, {}};
    r.match.udp_dst = steer::PortMatch{uint16_t(53 + i), 0xffff};
    r.action.queue = uint16_t(i % 2);
    rs.flows.push_back(r);
  }
  std::vector<std::pair<std::string, std::function<void(steer::SteeringConfig&)>>> edits = {
      {"nothing", [](steer::SteeringConfig&) {}},
      {"mode", [](steer::SteeringConfig& s) { s.mode = steer::SteeringMode::Software; }},
      {"types", [](steer::SteeringConfig& s) { s.rss.types = steer::kRssIpv4; }},
      {"key", [](steer::SteeringConfig& s) { s.rss.key[39] ^= 1; }},
      {"reta", [](steer::SteeringConfig& s) { s.rss.reta[0] ^= 1; }},
      {"drain", [](steer::SteeringConfig& s) { s.drain = false; }},
      {"drain_timeout_ms", [](steer::SteeringConfig& s) { s.drain_timeout_ms = 250; }},
      {"a rule's priority", [](steer::SteeringConfig& s) { s.flows[1].priority = 99; }},
      {"a rule's match", [](steer::SteeringConfig& s) { s.flows[1].match.udp_dst->mask = 0xff00; }},
      {"a rule's action", [](steer::SteeringConfig& s) { s.flows[2].action.mark = 7; }},
      {"a rule's name", [](steer::SteeringConfig& s) { s.flows[0].name = "other"; }},
      {"the rules' order", [](steer::SteeringConfig& s) { std::swap(s.flows[0], s.flows[2]); }},
      {"a rule less", [](steer::SteeringConfig& s) { s.flows.pop_back(); }},
  };
  for (const auto& [what, edit] : edits) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    journal(run, 7, kFile);
    steer::Deployment variant = run;
    edit(*variant.ports[0].steering);
    const std::string saved = steer::to_yaml(variant);
    auto d = steer::state::Journal(dir).decide(load(saved), steer::state::digest(saved));
    EXPECT_EQ(d.outcome, what == "nothing" ? Outcome::Adopted : Outcome::Archived) << what << ": " << d.message;
  }
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

// A rule with 1-3 match fields and one action, every field kind drawn, through
// the text forms (some combinations are refused by validation: fine for
// records, which are not validated until replayed).
steer::FlowRule random_rule(std::mt19937& rng, const std::string& name) {
  steer::FlowRule r;
  r.name = name;
  r.priority = uint32_t(rng() % 1000);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  for (size_t k = 1 + rng() % 3; k-- > 0;) {
    const std::string key = pick(steer::kRuleMatchKeys);
    std::string text;
    if (key == "eth_type")
      text = pick({"0x0800", "0x86dd"});
    else if (key == "vlan")
      text = std::to_string(rng() % 4096);
    else if (key == "ip_proto")
      text = pick({"6", "17"});
    else if (key.rfind("ipv4", 0) == 0)
      text = "10." + std::to_string(rng() % 256) + ".0.0/" + pick({"16", "24", "32"});
    else if (key.rfind("ipv6", 0) == 0)
      text = "2001:db8:" + std::to_string(rng() % 9999) + "::/" + pick({"48", "64"});
    else
      text = rng() % 2 ? std::to_string(rng() % 65536) : "0x1000/0xf000";
    EXPECT_EQ(steer::set_rule_field(&r, key, text), "") << key << "=" << text;
  }
  const std::string action = pick(steer::kRuleActionKeys);
  const std::string text = action == "queue"  ? std::to_string(rng() % 2)
                           : action == "rss"  ? "0,1"
                           : action == "drop" ? "true"
                                              : std::to_string(rng() % 100000);
  EXPECT_EQ(steer::set_rule_field(&r, action, text), "");
  if (action == "mark") {
    EXPECT_EQ(steer::set_rule_field(&r, "queue", "1"), "");
  }
  return r;
}

void expect_same(const steer::SteeringChange& a, const steer::SteeringChange& b, int step) {
  EXPECT_EQ(a.key, b.key) << step;
  EXPECT_EQ(a.types, b.types) << step;
  EXPECT_EQ(a.reta, b.reta) << step;
  EXPECT_EQ(a.add, b.add) << step;
  EXPECT_EQ(a.remove, b.remove) << step;
}

TEST(ChangeLog, RecordsReadBackAsTheyWereWritten) {
  std::mt19937 rng(11);
  for (int step = 0; step < 500; ++step) {
    steer::SteeringChange c;
    if (rng() % 4 == 0) {
      c.key.emplace(rng() % 2 ? 40 : 52);
      for (auto& b : *c.key) b = uint8_t(rng());
    }
    if (rng() % 4 == 0) c.types = uint32_t(rng() % 64);  // 0 too: an empty list
    if (rng() % 3 == 0) {
      c.reta.emplace(size_t(1) << (rng() % 10));
      for (auto& q : *c.reta) q = uint16_t(rng() % 1024);
    }
    for (size_t k = rng() % 4; k-- > 0;) c.remove.push_back("gone" + std::to_string(rng() % 50));
    for (size_t k = rng() % 5; k-- > 0;) c.add.push_back(random_rule(rng, "r" + std::to_string(rng() % 1000)));
    if (step % 50 == 0) {  // what needs escaping: spaces, '%', line breaks, '=' and '~'
      c.add.push_back(random_rule(rng, "a b%20c\nd=e ~f"));
      c.remove.push_back("x y%");
    }
    const uint64_t gen = rng() % 3 ? rng() % 1000 : rng();
    const std::string port = step % 7 ? "p0" : "port one";
    const std::string line = steer::state::format_record(port, gen, c);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "one line";
    steer::state::LoggedChange back;
    std::string why;
    ASSERT_TRUE(steer::state::parse_record(line.substr(0, line.size() - 1), &back, &why)) << why << "\n" << line;
    EXPECT_EQ(back.port, port);
    EXPECT_EQ(back.generation, gen);
    expect_same(back.change, c, step);
    // Any one byte changed is caught (the checksum, or the text no longer reads).
    std::string bad = line.substr(0, line.size() - 1);
    bad[rng() % bad.size()] ^= char(1 + rng() % 255);
    EXPECT_FALSE(steer::state::parse_record(bad, &back, &why)) << bad;
  }
}

TEST_F(Journal, ATornLastRecordIsDroppedAndABadOneBeforeOthersIsRefused) {
  steer::state::Journal j(dir);
  steer::SteeringChange a, b, c;
  a.remove = {"dns"};
  b.reta = std::vector<uint16_t>{1, 1, 1, 1, 1, 1, 1, 1};
  c.add.push_back({"web", 3, {}, {}});
  c.add.back().action.queue = 0;
  const std::string ra = steer::state::format_record("p0", 8, a), rb = steer::state::format_record("p0", 9, b),
                    rc = steer::state::format_record("p0", 10, c);
  steer::state::ChangeLogText log;
  std::string why;
  for (size_t cut : {size_t(1), rc.size() / 2, rc.size() - 1}) {  // the crash came mid-write
    std::ofstream(j.log_path(), std::ios::trunc) << ra << rb << rc.substr(0, cut);
    ASSERT_TRUE(steer::state::read_change_log(j.log_path(), &log, &why)) << why;
    EXPECT_TRUE(log.torn) << cut;
    ASSERT_EQ(log.records.size(), 2u) << cut;
    EXPECT_EQ(log.records[1].generation, 9u);
  }
  std::ofstream(j.log_path(), std::ios::trunc) << ra << rb << rc;
  ASSERT_TRUE(steer::state::read_change_log(j.log_path(), &log, &why)) << why;
  EXPECT_FALSE(log.torn);
  EXPECT_EQ(log.records.size(), 3u);
  std::string damaged = ra + rb + rc;
  damaged[ra.size() + 3] ^= 0x20;  // inside record 2, with record 3 after it
  std::ofstream(j.log_path(), std::ios::trunc) << damaged;
  EXPECT_FALSE(steer::state::read_change_log(j.log_path(), &log, &why));
  EXPECT_NE(why.find("record 2"), std::string::npos) << why;
  // And so the whole journal cannot be used: the file wins.
  journal(file, 7, kFile);
  auto d = j.decide(file, steer::state::digest(kFile));
  EXPECT_EQ(d.outcome, Outcome::Archived) << d.message;
  EXPECT_NE(d.message.find("record 2"), std::string::npos) << d.message;
  std::string to;
  ASSERT_TRUE(j.archive(&to, &why)) << why;
  EXPECT_FALSE(std::filesystem::exists(j.log_path())) << "the log is archived with the base";
  EXPECT_EQ(files(), 2u);
}

TEST_F(Journal, RecordsTheBaseAlreadyHoldsAreSkippedAndTheRestReplayed) {
  // A crash after a new base (at generation 2) and before the log was
  // emptied: records 1 and 2 are in the base (removing dns twice would be
  // refused), record 3 is not.
  steer::SteeringChange a, b, c;
  a.remove = {"dns"};
  b.reta = std::vector<uint16_t>{1, 1, 1, 1, 1, 1, 1, 1};
  c.add.push_back({"web", 3, {}, {}});
  c.add.back().match.tcp_dst = steer::PortMatch{80, 0xffff};
  c.add.back().action.queue = 0;
  steer::Deployment base = file;
  base.ports[0].steering->flows.clear();
  base.ports[0].steering->rss.reta = *b.reta;
  journal(base, 2, kFile);
  steer::state::Journal j(dir);
  std::ofstream(j.log_path()) << steer::state::format_record("p0", 1, a) << steer::state::format_record("p0", 2, b)
                              << steer::state::format_record("p0", 3, c);
  auto d = j.decide(file, steer::state::digest(kFile));
  ASSERT_EQ(d.outcome, Outcome::Restored) << d.message;
  EXPECT_EQ(d.generations.at("p0"), 3u);
  ASSERT_EQ(d.deployment.ports[0].steering->flows.size(), 1u);
  EXPECT_EQ(d.deployment.ports[0].steering->flows[0], c.add[0]);
  EXPECT_EQ(d.deployment.ports[0].steering->rss.reta, *b.reta);
  EXPECT_NE(d.message.find("1 change(s) replayed"), std::string::npos) << d.message;
  // A record that does not apply to what precedes it: the file wins.
  std::ofstream(j.log_path(), std::ios::app) << steer::state::format_record("p0", 4, a);  // dns is gone
  d = j.decide(file, steer::state::digest(kFile));
  EXPECT_EQ(d.outcome, Outcome::Archived) << d.message;
  EXPECT_NE(d.message.find("change 4"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("remove"), std::string::npos) << d.message;
}

// The Keeper as steerd drives it: random changes (many refused by planning,
// as the Controller refuses them), each accepted one appended; a log kept
// small (4 KiB) so it is folded into new bases over and over. At every
// checkpoint, reading the journal back gives exactly the steering and the
// generation that run.
TEST_F(Journal, TheKeepersBaseAndLogGiveBackWhatRan) {
  std::mt19937 rng(5);
  steer::Deployment run = file;
  uint64_t gen = 0;
  steer::state::Journal j(dir);
  steer::state::Keeper keeper(
      j,
      [&] {
        steer::state::Journaled x = steer::state::base_of(run, {{"p0", gen}});
        x.file = "test.yaml";
        x.file_digest = steer::state::digest(kFile);
        return x;
      },
      4096);
  size_t accepted = 0, checked = 0;
  for (int step = 0; step < 600; ++step) {
    steer::SteeringChange c;
    const auto& flows = run.ports[0].steering->flows;
    if (rng() % 8 == 0) {
      c.key.emplace(40);
      for (auto& b : *c.key) b = uint8_t(rng());
    }
    if (rng() % 8 == 0) c.types = rng() % 2 ? steer::kRssIpv4 | steer::kRssIpv4Udp : steer::kRssIpv4Tcp;
    if (rng() % 4 == 0) {
      c.reta.emplace(8);
      for (auto& q : *c.reta) q = uint16_t(rng() % 2);
    }
    if (!flows.empty() && rng() % 3 == 0) c.remove.push_back(flows[rng() % flows.size()].name);
    for (size_t k = rng() % 3; k-- > 0;) c.add.push_back(random_rule(rng, "r" + std::to_string(rng() % 40)));
    steer::ChangePlan plan;
    if (!steer::plan_change("p0", *run.ports[0].steering, 2, c, &plan).empty()) continue;
    run.ports[0].steering = plan.after;
    keeper.append("p0", ++gen, c);
    ++accepted;
    if (accepted % 20 == 0) {
      auto d = j.decide(file, steer::state::digest(kFile));
      ASSERT_NE(d.outcome, Outcome::Archived) << d.message;
      ASSERT_EQ(d.generations.at("p0"), gen) << d.message;
      ASSERT_EQ(steer::to_yaml(d.deployment), steer::to_yaml(run)) << "step " << step;
      ++checked;
    }
  }
  EXPECT_GT(accepted, 150u);
  EXPECT_GT(checked, 7u);
  EXPECT_GT(keeper.bases(), 3u) << "the log was never folded into a new base";
  EXPECT_LT(keeper.bases(), accepted / 4) << "most changes must be records, not bases";
}

// The base keeps rules in the record form beside the YAML: every field kind
// reads back, in order; a damaged rule line makes the journal unusable, and
// says which line.
TEST_F(Journal, TheBasesRulesReadBackAndADamagedOneIsRefused) {
  std::mt19937 rng(3);
  steer::Deployment run = file;
  auto& flows = run.ports[0].steering->flows;
  for (uint32_t k = 0; flows.size() < 300 && k < 5000; ++k) {
    steer::FlowRule r = random_rule(rng, "b" + std::to_string(k));
    r.priority = 100 + k;  // distinct
    steer::Deployment trial = run;
    trial.ports[0].steering->flows.push_back(r);
    if (steer::validate(trial).empty()) flows.push_back(r);  // only what a steerd would run
  }
  ASSERT_EQ(flows.size(), 300u);
  steer::state::Journaled base = steer::state::base_of(run, {{"p0", 4}});
  EXPECT_EQ(base.running_yaml.find("priority: 101"), std::string::npos) << "rules are not in the YAML";
  auto d = restore(base);
  ASSERT_EQ(d.outcome, Outcome::Restored) << d.message;
  EXPECT_EQ(d.generations.at("p0"), 4u);
  EXPECT_EQ(steer::to_yaml(d.deployment), steer::to_yaml(run));
  std::string& text = base.rules["p0"];
  const size_t line7 = [&] {
    size_t at = 0;
    for (int k = 0; k < 6; ++k) at = text.find('\n', at) + 1;
    return at;
  }();
  text.insert(text.find(' ', line7), " nonsense");
  d = restore(base);
  EXPECT_EQ(d.outcome, Outcome::Archived) << d.message;
  EXPECT_NE(d.message.find("rule line 7"), std::string::npos) << d.message;
}

TEST_F(Journal, ABaseWithNoRulesReadsBackWithNoRules) {
  steer::Deployment run = file;
  run.ports[0].steering->flows = steer::RuleList{};
  auto d = restore(steer::state::base_of(run, {{"p0", 9}}));
  ASSERT_EQ(d.outcome, Outcome::Restored) << d.message;
  EXPECT_TRUE(d.deployment.ports[0].steering->flows.empty());
  EXPECT_EQ(d.generations.at("p0"), 9u);
}

TEST_F(Journal, TheFirstChangeWritesABaseAndTheNextOnlyARecord) {
  steer::state::Journal j(dir);
  steer::Deployment run = changed();
  uint64_t gen = 1;
  steer::state::Keeper keeper(j, [&] {
    steer::state::Journaled x;
    x.file_digest = steer::state::digest(kFile);
    x.generations["p0"] = gen;
    x.running_yaml = steer::to_yaml(run);
    return x;
  });
  steer::SteeringChange c;
  c.reta = changed().ports[0].steering->rss.reta;
  keeper.append("p0", 1, c);
  EXPECT_EQ(keeper.bases(), 1u);
  EXPECT_EQ(std::filesystem::file_size(j.log_path()), 0u);
  c.reta = std::vector<uint16_t>{0, 0, 0, 0, 0, 0, 0, 0};
  run.ports[0].steering->rss.reta = *c.reta;
  gen = 2;
  keeper.append("p0", 2, c);
  EXPECT_EQ(keeper.bases(), 1u);
  EXPECT_GT(std::filesystem::file_size(j.log_path()), 0u);
  auto d = j.decide(file, steer::state::digest(kFile));
  EXPECT_EQ(d.outcome, Outcome::Restored) << d.message;
  EXPECT_EQ(d.generations.at("p0"), 2u);
  EXPECT_EQ(d.deployment.ports[0].steering->rss.reta, *c.reta);
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
