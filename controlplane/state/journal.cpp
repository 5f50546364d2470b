#include "journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "config.h"
#include "steer/atomic_file.h"
#include "steer/text.h"
#include "steer/validate.h"

namespace steer::state {
namespace {

// 2: the rules under `rules` in the record form; 1 (still read): in `running`.
constexpr int kVersion = 2;

std::string utc_now(const char* fmt) {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

// The deployment in canonical form, without what is compared separately
// (steering, as data: emitting 100,000 rules twice as YAML to compare them was
// most of a restart's decision, ~35 µs a rule) or not at all (log levels
// change at runtime through the API; not steering state).
std::string canonical_rest(Deployment d) {
  d.log = {};
  for (auto& p : d.ports) p.steering.reset();
  return to_yaml(d);
}

// The port named `name` if it is steered in `d`, else nullptr.
PortConfig* steered_port(Deployment& d, const std::string& name) {
  for (auto& p : d.ports)
    if (p.name == name) return p.steering ? &p : nullptr;
  return nullptr;
}

std::string generations_text(const std::map<std::string, uint64_t>& g) {
  std::string s;
  for (const auto& [port, gen] : g) s += (s.empty() ? "" : ", ") + port + " at generation " + std::to_string(gen);
  return s.empty() ? "no steered port" : s;
}

}  // namespace

std::string digest(const std::string& text) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016" PRIx64 ":%zu", fnv1a64(text), text.size());
  return buf;
}

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::None:
      return "none";
    case Outcome::Restored:
      return "restored";
    case Outcome::Adopted:
      return "adopted";
    case Outcome::Archived:
      return "archived";
  }
  return "?";
}

Journal::Journal(std::string dir) : dir_(std::move(dir)) {}

std::string Journal::path() const {
  return dir_ + "/running.yaml";
}

std::string Journal::log_path() const {
  return dir_ + "/changes.log";
}

bool Journal::read(Journaled* out, std::string* why) const {
  why->clear();
  std::ifstream in(path());
  if (!in) {
    if (errno != ENOENT) *why = std::string("cannot open it: ") + std::strerror(errno);
    return false;
  }
  try {
    YAML::Node n = YAML::Load(in);
    if (!n.IsMap() || !n["journal"] || n["journal"].as<int>() < 1 || n["journal"].as<int>() > kVersion) {
      *why = "it is not a version 1-" + std::to_string(kVersion) + " steerd state journal";
      return false;
    }
    out->file = n["file"] ? n["file"].as<std::string>() : "";
    out->file_digest = n["file_digest"].as<std::string>();
    out->written = n["written"] ? n["written"].as<std::string>() : "";
    out->generations.clear();
    if (n["generations"])
      for (const auto& g : n["generations"]) out->generations[g.first.as<std::string>()] = g.second.as<uint64_t>();
    out->running_yaml = n["running"].as<std::string>();
    out->rules.clear();
    if (n["rules"])
      for (const auto& r : n["rules"]) out->rules[r.first.as<std::string>()] = r.second.as<std::string>();
  } catch (const YAML::Exception& e) {
    *why = "it does not parse (" + std::string(e.what()) + ")";
    return false;
  }
  ChangeLogText log;
  if (!read_change_log(log_path(), &log, why)) return false;
  out->changes = std::move(log.records);
  out->torn = log.torn;
  return true;
}

Decision Journal::decide(const Deployment& file, const std::string& file_digest) const {
  Decision d;
  d.deployment = file;
  Journaled j;
  std::string why;
  if (!read(&j, &why)) {
    if (why.empty()) {
      d.message = "no state journal in " + dir_ + ": the file's steering, every port at generation 0";
      return d;
    }
    d.outcome = Outcome::Archived;
    d.message = "the state journal " + path() + " cannot be used: " + why +
                "; the file wins, every port at generation 0, and the journal is archived";
    return d;
  }
  std::istringstream in(j.running_yaml);
  ConfigResult journaled = load_config(in, path() + " (running)");
  if (!journaled.ok()) {
    d.outcome = Outcome::Archived;
    d.message = "the state journal " + path() + " holds a deployment this steerd refuses (" + journaled.errors[0] +
                "); the file wins, every port at generation 0, and the journal is archived";
    return d;
  }
  Deployment& run = journaled.deployment;
  for (const auto& [name, text] : j.rules) {  // the base's rules, beside the YAML
    PortConfig* port = steered_port(run, name);
    std::string bad;
    if (!port)
      bad = "holds rules for port " + quote_name(name) + ", which has no steering there";
    else if (!port->steering->flows.empty())
      bad = "holds port " + quote_name(name) + "'s rules twice";
    else if (!parse_rules(text, &port->steering->flows, &bad))
      bad = "holds port " + quote_name(name) + "'s rules, and its " + bad;
    if (bad.empty())
      if (auto errs = validate(run); !errs.empty()) bad = "holds rules this steerd refuses (" + errs[0].message + ")";
    if (!bad.empty()) {
      d.outcome = Outcome::Archived;
      d.message = "the state journal " + path() + " " + bad +
                  "; the file wins, every port at generation 0, and the journal is archived";
      return d;
    }
  }
  // The change log, replayed over the base as each change was planned.
  size_t replayed = 0;
  std::map<std::string, RuleIndex> indexes;
  for (size_t k = 0; k < j.changes.size(); ++k) {
    const LoggedChange& rec = j.changes[k];
    PortConfig* port = steered_port(run, rec.port);
    std::string bad;
    if (!port) {
      bad = "names port " + quote_name(rec.port) + ", which has no steering there";
    } else if (rec.generation <= j.generations[rec.port]) {
      continue;  // already in the base (a crash between a new base and emptying the log)
    } else {
      auto [ix, fresh] = indexes.try_emplace(rec.port);
      if (fresh) ix->second.build(port->steering->flows);
      ChangePlan plan;
      if (auto errs = plan_change(rec.port, *port->steering, port->rx_queues, rec.change, &plan, &ix->second);
          !errs.empty()) {
        bad = "does not apply (" + errs[0].path + ": " + errs[0].message + ")";
      } else {
        ix->second.update(plan);
        port->steering = std::move(plan.after);
        j.generations[rec.port] = rec.generation;
        ++replayed;
      }
    }
    if (!bad.empty()) {
      d.outcome = Outcome::Archived;
      d.message = "the state journal's change " + std::to_string(k + 1) + " in " + log_path() + " " + bad +
                  "; the file wins, every port at generation 0, and the journal is archived";
      return d;
    }
  }
  const std::string log_note =
      (replayed ? ", " + std::to_string(replayed) + " change(s) replayed from " + log_path() : std::string()) +
      (j.torn ? " (its last record was cut short by a crash before it was answered, and dropped)" : "");
  std::map<std::string, uint64_t> gens;
  for (const auto& p : file.ports)
    if (p.steering)
      if (auto it = j.generations.find(p.name); it != j.generations.end()) gens[p.name] = it->second;
  // The whole deployment the same: the rest as YAML, the steering as data
  // (the same ports in the same order once the rest is the same).
  const bool rest_same = canonical_rest(file) == canonical_rest(run);
  bool steering_same = rest_same;
  for (size_t i = 0; steering_same && i < file.ports.size(); ++i)
    steering_same = file.ports[i].steering == run.ports[i].steering;  // every field, rules in order
  if (steering_same) {
    d.outcome = Outcome::Adopted;
    d.generations = gens;
    d.message = (j.file_digest == file_digest ? "the file is unchanged and the journal (written " + j.written +
                                                    ") holds no live change beyond it"
                                              : "the file changed since the journal was written (" + j.written +
                                                    ") but says what it holds, as after steerctl save") +
                log_note + ": " + generations_text(gens);
    return d;
  }
  if (j.file_digest != file_digest) {
    d.outcome = Outcome::Archived;
    d.message = "the file changed since the state journal was written (" + j.written +
                "), so the file wins: every port at generation 0; the journal's running state is archived";
    return d;
  }
  if (!rest_same) {  // same file, yet more than steering differs
    d.outcome = Outcome::Archived;
    d.message = "the state journal " + path() +
                " differs from the file beyond steering (written by another steerd version?); the file wins, every "
                "port at generation 0, and the journal is archived";
    return d;
  }
  for (size_t i = 0; i < d.deployment.ports.size(); ++i) d.deployment.ports[i].steering = run.ports[i].steering;
  d.outcome = Outcome::Restored;
  d.generations = gens;
  d.message = "restored the running steering from " + path() + " (written " + j.written +
              "; the file is unchanged since)" + log_note + ": " + generations_text(gens);
  return d;
}

bool Journal::archive(std::string* to, std::string* why) const {
  const std::string stamp = "." + utc_now("%Y%m%dT%H%M%SZ") + ".archived";
  *to = path() + stamp;
  if (::rename(path().c_str(), to->c_str()) != 0 && errno != ENOENT) {
    *why = "cannot rename " + path() + " to " + *to + ": " + std::strerror(errno);
    return false;
  }
  if (::rename(log_path().c_str(), (log_path() + stamp).c_str()) != 0 && errno != ENOENT) {
    *why = "cannot rename " + log_path() + " to " + log_path() + stamp + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool Journal::write(const Journaled& j, std::string* why, size_t* bytes) const {
  YAML::Emitter e;
  e << YAML::Comment(
           "steerd's state journal, its base: the running steering, replaced atomically; the changes since\n"
           "are in changes.log beside it.\n"
           "Read at start (README \"State across restarts\"); do not edit, use steerctl diff and save.")
    << YAML::Newline;
  e << YAML::BeginMap;
  e << YAML::Key << "journal" << YAML::Value << kVersion;
  e << YAML::Key << "file" << YAML::Value << j.file;
  e << YAML::Key << "file_digest" << YAML::Value << j.file_digest;
  e << YAML::Key << "written" << YAML::Value << (j.written.empty() ? utc_now("%Y-%m-%dT%H:%M:%SZ") : j.written);
  e << YAML::Key << "generations" << YAML::Value << YAML::BeginMap;
  for (const auto& [port, gen] : j.generations) e << YAML::Key << port << YAML::Value << gen;
  e << YAML::EndMap;
  e << YAML::Key << "running" << YAML::Value << YAML::Literal << j.running_yaml;
  e << YAML::EndMap;
  std::string text = e.c_str();
  text += "\n";
  // The rules as literal blocks written here, not through the emitter, which
  // looks at every character of a block (twice the time of formatting the
  // rules). A record-form line is %-escaped: no line breaks or control
  // characters, and none starts with a space.
  if (!j.rules.empty()) {
    text += "rules:\n";
    for (const auto& [port, rules] : j.rules) {
      YAML::Emitter key;
      key << port;
      text += "  ";
      text += key.c_str();
      if (rules.empty()) {
        text += ": \"\"\n";
        continue;
      }
      text += ": |\n";
      text.reserve(text.size() + rules.size() + rules.size() / 16);
      for (size_t at = 0; at < rules.size();) {
        const size_t end = std::min(rules.find('\n', at), rules.size());
        text += "    ";
        text.append(rules, at, end - at);
        text += '\n';
        at = end + 1;
      }
    }
  }
  if (bytes) *bytes = text.size();
  return replace_file(path(), text, 0640, why);
}

Journaled base_of(const Deployment& running, const std::map<std::string, uint64_t>& generations) {
  Journaled j;
  j.generations = generations;
  Deployment rest = running;
  for (auto& p : rest.ports)
    if (p.steering) {
      j.rules[p.name] = format_rules(p.steering->flows);
      p.steering->flows = RuleList{};
    }
  j.running_yaml = to_yaml(rest);
  return j;
}

Keeper::Keeper(Journal& j, Snapshot s, uint64_t compact_at) : j_(j), snapshot_(std::move(s)), compact_at_(compact_at) {}

Keeper::~Keeper() {
  if (fd_ >= 0) ::close(fd_);
}

void Keeper::fail(const std::string& why) {
  ++failures_;
  based_ = false;  // the next change writes a whole base
  spdlog::error("state journal: {}; the running steering is not saved for a restart (failure {})", why, failures_);
}

void Keeper::commit() {
  std::string why;
  size_t bytes = 0;
  if (!j_.write(snapshot_(), &why, &bytes)) return fail(why);
  ++bases_;
  base_bytes_ = bytes;
  // The log is emptied only now: a crash before this leaves records the new
  // base already holds, which reading skips by their generations.
  const std::string log = j_.log_path();
  if (fd_ < 0) {
    fd_ = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) return fail("cannot open " + log + ": " + std::strerror(errno));
    // The log's directory entry, durable before any record in it is answered.
    if (!sync_dir(j_.dir(), &why)) return fail(why);
  }
  if (::ftruncate(fd_, 0) != 0 || ::fdatasync(fd_) != 0)
    return fail("cannot empty " + log + ": " + std::strerror(errno));
  log_bytes_ = 0;
  based_ = true;
}

void Keeper::append(const std::string& port, uint64_t generation, const SteeringChange& c) {
  if (!based_) return commit();
  const std::string rec = format_record(port, generation, c);
  // Twice the base: every record's bytes are written again in a base once,
  // at half the cost of compacting at one base, and a restart replays at
  // most two bases' worth of records.
  if (log_bytes_ + rec.size() > std::max<uint64_t>(compact_at_, 2 * base_bytes_)) return commit();
  if (write_all(fd_, rec.data(), rec.size()) && ::fdatasync(fd_) == 0) {
    log_bytes_ += rec.size();
    return;
  }
  const std::string why = "cannot append to " + j_.log_path() + ": " + std::strerror(errno);
  // Whatever part of the record landed goes, so no bad record sits between
  // good ones; failing that, the next base empties the log anyway.
  [[maybe_unused]] const int rc = ::ftruncate(fd_, off_t(log_bytes_));
  fail(why);
}

}  // namespace steer::state
