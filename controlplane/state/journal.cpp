#include "journal.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "config.h"
#include "steer/atomic_file.h"

namespace steer::state {
namespace {

constexpr int kVersion = 1;

std::string utc_now(const char* fmt) {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

// The deployment in canonical form, without what is compared separately.
std::string canonical(Deployment d, bool keep_steering) {
  d.log = {};  // levels change at runtime through the API; not steering state
  if (!keep_steering)
    for (auto& p : d.ports) p.steering.reset();
  return to_yaml(d);
}

std::string generations_text(const std::map<std::string, uint64_t>& g) {
  std::string s;
  for (const auto& [port, gen] : g) s += (s.empty() ? "" : ", ") + port + " at generation " + std::to_string(gen);
  return s.empty() ? "no steered port" : s;
}

}  // namespace

std::string digest(const std::string& text) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bit
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016" PRIx64 ":%zu", h, text.size());
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

bool Journal::read(Journaled* out, std::string* why) const {
  why->clear();
  std::ifstream in(path());
  if (!in) {
    if (errno != ENOENT) *why = std::string("cannot open it: ") + std::strerror(errno);
    return false;
  }
  try {
    YAML::Node n = YAML::Load(in);
    if (!n.IsMap() || !n["journal"] || n["journal"].as<int>() != kVersion) {
      *why = "it is not a version " + std::to_string(kVersion) + " steerd state journal";
      return false;
    }
    out->file = n["file"] ? n["file"].as<std::string>() : "";
    out->file_digest = n["file_digest"].as<std::string>();
    out->written = n["written"] ? n["written"].as<std::string>() : "";
    out->generations.clear();
    if (n["generations"])
      for (const auto& g : n["generations"]) out->generations[g.first.as<std::string>()] = g.second.as<uint64_t>();
    out->running_yaml = n["running"].as<std::string>();
  } catch (const YAML::Exception& e) {
    *why = "it does not parse (" + std::string(e.what()) + ")";
    return false;
  }
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
  const Deployment& run = journaled.deployment;
  std::map<std::string, uint64_t> gens;
  for (const auto& p : file.ports)
    if (p.steering)
      if (auto it = j.generations.find(p.name); it != j.generations.end()) gens[p.name] = it->second;
  if (canonical(file, true) == canonical(run, true)) {
    d.outcome = Outcome::Adopted;
    d.generations = gens;
    d.message = (j.file_digest == file_digest ? "the file is unchanged and the journal (written " + j.written +
                                                    ") holds no live change beyond it"
                                              : "the file changed since the journal was written (" + j.written +
                                                    ") but says what it holds, as after steerctl save") +
                ": " + generations_text(gens);
    return d;
  }
  if (j.file_digest != file_digest) {
    d.outcome = Outcome::Archived;
    d.message = "the file changed since the state journal was written (" + j.written +
                "), so the file wins: every port at generation 0; the journal's running state is archived";
    return d;
  }
  if (canonical(file, false) != canonical(run, false)) {  // same file, yet more than steering differs
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
              "; the file is unchanged since): " + generations_text(gens);
  return d;
}

bool Journal::archive(std::string* to, std::string* why) const {
  *to = path() + "." + utc_now("%Y%m%dT%H%M%SZ") + ".archived";
  if (::rename(path().c_str(), to->c_str()) != 0) {
    *why = "cannot rename " + path() + " to " + *to + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool Journal::write(const Journaled& j, std::string* why) const {
  YAML::Emitter e;
  e << YAML::Comment(
           "steerd's state journal: the running steering, rewritten atomically on every committed change.\n"
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

  return replace_file(path(), text, 0640, why);
}

void Keeper::commit() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string why;
  if (!j_.write(snapshot_(), &why)) {
    ++failures_;
    spdlog::error("state journal: {}; the running steering is not saved for a restart (failure {})", why, failures_);
  }
}

}  // namespace steer::state
