// The state journal: live steering that survives a restart (README "State
// across restarts").
//
// Two files in STATE_DIR. running.yaml, the base: the running deployment
// (its rules in change_log.h's rule form beside the YAML of the rest: the
// YAML emitter costs 34-40 us a rule), each steered port's generation and the
// identity of the deployment file it was started from (or last reloaded),
// replaced atomically (a temporary in
// the same directory, fsync, rename over the old one, fsync of the
// directory). changes.log: every committed change since the base, one record
// each, appended and fdatasync'd before the change is answered (change_log.h),
// so a change costs what it touches. Reading replays the records over the
// base; records at or below the base's generation for their port are skipped
// (a crash between a new base and emptying the log), a last record a crash cut
// short is dropped (never answered), any other bad record makes the journal
// unusable. The base is rewritten (and the log emptied) when the log outgrows
// twice its size (at least 1 MiB), at start, and on a reload.
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
#include <string>
#include <vector>

#include "change_log.h"
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
  std::string running_yaml;                     // the running deployment (to_yaml), rules aside:
  std::map<std::string, std::string> rules;     // steered port -> its rules (format_rules)
  std::vector<LoggedChange> changes;            // changes.log, in order (read only)
  bool torn = false;                            // its last record was cut short and dropped
};

// The base of `running`: its rules in the record form, the rest as YAML.
Journaled base_of(const Deployment& running, const std::map<std::string, uint64_t>& generations);

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
  std::string path() const;      // dir/running.yaml
  std::string log_path() const;  // dir/changes.log

  // Reads the base and the change log (not yet replayed). False with *why
  // when the base is missing (why empty) or either cannot be used (why says
  // what is wrong).
  bool read(Journaled* out, std::string* why) const;

  // The start decision for `file` (loaded and valid) whose text has `file_digest`.
  Decision decide(const Deployment& file, const std::string& file_digest) const;

  // Renames the base to running.yaml.<UTC time>.archived (*to names it), and
  // the change log beside it the same way.
  bool archive(std::string* to, std::string* why) const;

  // Atomically replaces the base (see above); *bytes: its size.
  bool write(const Journaled& j, std::string* why, size_t* bytes = nullptr) const;

 private:
  std::string dir_;
};

// The writer steerd keeps. Its callers serialise it with the changes (the
// Controller's lock: a change's listener, or a reload inside
// Controller::exclusive), so a snapshot and the records around it agree.
// Errors are logged with a running count; the dataplane keeps running what
// it runs, and the next change rewrites the base.
class Keeper {
 public:
  using Snapshot = std::function<Journaled()>;
  // `compact_at`: the log is folded into a new base once it would pass
  // max(compact_at, the base's size).
  Keeper(Journal& j, Snapshot s, uint64_t compact_at = 1 << 20);
  ~Keeper();
  Keeper(const Keeper&) = delete;
  Keeper& operator=(const Keeper&) = delete;

  // A new base from the snapshot, then the log emptied.
  void commit();
  // One committed change (its port, the generation it made, what was asked):
  // appended to the log, or, when there is no base of this process's yet or
  // the log has outgrown it, a new base instead.
  void append(const std::string& port, uint64_t generation, const SteeringChange& c);

  uint64_t bases() const { return bases_; }  // written so far (tests)

 private:
  void fail(const std::string& why);

  Journal& j_;
  Snapshot snapshot_;
  const uint64_t compact_at_;
  int fd_ = -1;  // changes.log, O_APPEND
  bool based_ = false;
  uint64_t log_bytes_ = 0, base_bytes_ = 0, bases_ = 0, failures_ = 0;
};

}  // namespace steer::state
