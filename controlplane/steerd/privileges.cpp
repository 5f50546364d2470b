#include "privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace steer::privileges {

bool hand_over(const std::string& dir, const Identity& id, std::string* why) {
  auto give = [&](const std::string& path) {
    if (::chown(path.c_str(), id.uid, id.gid) == 0) return true;
    *why = "cannot give " + path + " to " + id.user + " (" + std::strerror(errno) +
           "); steerd could not write its state journal after dropping privileges";
    return false;
  };
  if (!give(dir)) return false;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && !give(e.path().string())) return false;
  return true;
}

bool find(const std::string& user, Identity* out, std::string* why) {
  std::vector<char> buf(16384);
  passwd pw{}, *found = nullptr;
  int rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || !found) {
    *why = "privileges.user: no user named \"" + user + "\"; create it (useradd --system " + user +
           ") or leave privileges.user out";
    return false;
  }
  if (pw.pw_uid == 0) {
    *why = "privileges.user: \"" + user + "\" is root (uid 0); name an unprivileged user or leave privileges.user out";
    return false;
  }
  *out = {user, pw.pw_uid, pw.pw_gid};
  return true;
}

namespace {

// One thread's line "Key:\tvalue" from its status file.
std::string status_field(const std::filesystem::path& status, const std::string& key) {
  std::ifstream in(status);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size() + 1, key + ":") == 0) {
      std::string v = line.substr(key.size() + 1);
      return v.substr(v.find_first_not_of(" \t"));
    }
  return {};
}

}  // namespace

bool become(const Identity& id, std::string* why) {
  auto fail = [&](const std::string& step) {
    *why = "privileges: " + step + " failed (" + std::strerror(errno) + "); steerd stops rather than run half-dropped";
    return false;
  };
  if (initgroups(id.user.c_str(), id.gid) != 0) return fail("initgroups(" + id.user + ")");
  if (setresgid(id.gid, id.gid, id.gid) != 0) return fail("setresgid(" + std::to_string(id.gid) + ")");
  if (setresuid(id.uid, id.uid, id.uid) != 0) return fail("setresuid(" + std::to_string(id.uid) + ")");
  // Trust, but verify: every thread (EAL interrupt and telemetry threads,
  // lcores, gRPC) must now be the user with empty capability sets.
  const std::string want_uid = std::to_string(id.uid);
  unsigned threads = 0;
  std::error_code ec;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const auto status = t.path() / "status";
    std::istringstream uids(status_field(status, "Uid"));
    std::string u;
    while (uids >> u)
      if (u != want_uid) {
        *why = "privileges: thread " + t.path().filename().string() + " still runs as uid " + u;
        return false;
      }
    for (const char* set : {"CapEff", "CapPrm"})
      if (status_field(status, set).find_first_not_of('0') != std::string::npos) {
        *why = "privileges: thread " + t.path().filename().string() + " kept capabilities (" + set + " " +
               status_field(status, set) + ")";
        return false;
      }
    ++threads;
  }
  if (ec || threads == 0) {
    *why = "privileges: cannot read /proc/self/task to check the threads";
    return false;
  }
  return true;
}

}  // namespace steer::privileges
