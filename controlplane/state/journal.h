// The state journal: live steering that survives a restart (README "State
// across restarts").
//
// Every committed change rewrites one file, STATE_DIR/running.yaml, with the
// running deployment, each steered port's generation and the identity of the
// deployment file it was started from (or last reloaded). The write is atomic:
// a temporary in the same directory, fsync, rename over the old one, fsync of
// the directory. A crash leaves the previous journal or the new one, never a
// mix.
//
// At start, decide() says what to run, in this order of precedence:
//   1. no journal: the file, every port at generation 0;
//   2. the file is the one the journal was written against (same digest):
//      the journal's steering, at the journal's generations ("restored");
//   3. the file changed but says exactly what the journal holds (after
//      `steerctl save`, or a comment edit): the file, at the journal's
//      generations ("adopted");
//   4. the file changed otherwise, or the journal cannot be read or no longer
//      fits the file: the file wins, at generation 0, and the journal is
//      archived beside itself ("archived", with the reason).
// decide() changes nothing on disk; steerd --check prints it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "steer/model.h"

namespace steer::state {

// A deployment file's identity: "fnv1a64:<16 hex digits>:<length>". Not a
// security hash: it tells an edited file from the same one.
std::string digest(const std::string& text);

// What the journal holds.
struct Journaled {
  std::string file;                             // the deployment file steerd ran (empty: the embedded demo)
  std::string file_digest;                      // digest() of that file's text when it was loaded
  std::string written;                          // UTC, ISO 8601
  std::map<std::string, uint64_t> generations;  // steered port -> generation
  std::string running_yaml;                     // the running deployment (to_yaml)
};

enum class Outcome { None, Restored, Adopted, Archived };
const char* to_string(Outcome o);

struct Decision {
  Outcome outcome = Outcome::None;
  std::string message;                          // one sentence for the log and --check
  Deployment deployment;                        // what to start
  std::map<std::string, uint64_t> generations;  // port -> generation to start at
};

class Journal {
 public:
  explicit Journal(std::string dir);
  const std::string& dir() const { return dir_; }
  std::string path() const;  // dir/running.yaml

  // Reads the journal. False with *why when it is missing (why empty) or
  // cannot be used (why says what is wrong).
  bool read(Journaled* out, std::string* why) const;

  // The start decision for `file` (loaded and valid) whose text has `file_digest`.
  Decision decide(const Deployment& file, const std::string& file_digest) const;

  // Renames the journal to running.yaml.<UTC time>.archived; *to names it.
  bool archive(std::string* to, std::string* why) const;

  // Atomically replaces the journal (see above).
  bool write(const Journaled& j, std::string* why) const;

 private:
  std::string dir_;
};

// The writer steerd keeps: one journal write at a time, each from a fresh
// snapshot taken under its lock, so the last write holds the newest state
// whichever thread wrote (a change's listener, or a reload).
class Keeper {
 public:
  using Snapshot = std::function<Journaled()>;
  Keeper(Journal& j, Snapshot s) : j_(j), snapshot_(std::move(s)) {}
  // Writes the state now. Errors are logged with a running count; the dataplane keeps
  // running what it runs (the journal catches up on the next good write).
  void commit();

 private:
  Journal& j_;
  Snapshot snapshot_;
  std::mutex mu_;
  uint64_t failures_ = 0;
};

}  // namespace steer::state
