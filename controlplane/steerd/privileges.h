// Dropping root after init (YAML `privileges.user`). DPDK needs root, or
// capabilities, to map hugepages, open VFIO/UIO devices, open AF_PACKET
// sockets and create its runtime files; once the EAL, the ports and the
// control socket are up, the running dataplane needs none of that. steerd
// then becomes the configured user, in every thread at once.
#pragma once

#include <sys/types.h>

#include <string>

namespace steer::privileges {

struct Identity {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks the user up before anything starts, so a typo stops steerd early.
bool find(const std::string& user, Identity* out, std::string* why);

// Gives `dir` (the state directory) and the files in it to `id`, so the
// journal can still be rewritten after become().
bool hand_over(const std::string& dir, const Identity& id, std::string* why);

// Becomes `id` in every thread: its groups, its gid, its uid (glibc applies
// set*id calls to all threads of the process). The kernel clears every
// capability when the last uid stops being 0. Then checks each thread in
// /proc/self/task: all must run as `id` with no capability left, else the
// caller must stop (a thread still privileged would defeat the point).
bool become(const Identity& id, std::string* why);

}  // namespace steer::privileges
