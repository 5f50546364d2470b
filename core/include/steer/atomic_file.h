// Replacing a file so that a crash leaves the old content or the new, never
// a mix: a temporary in the same directory, written and fsync'd, renamed over
// the target, then the directory fsync'd so the rename itself is durable.
// Used by the state journal and by steerctl save. Plain POSIX.
#pragma once

#include <sys/types.h>

#include <string>

namespace steer {

// On failure returns false with *why naming the path and the error; the
// target is untouched and no temporary is left.
bool replace_file(const std::string& path, const std::string& text, mode_t mode, std::string* why);

// Its parts, for a file appended to in place (the state journal's change log):
// all of `n` bytes written (EINTR retried; false with errno set otherwise),
// and a directory's entries made durable (false with *why naming it).
bool write_all(int fd, const char* p, size_t n);
bool sync_dir(const std::string& dir, std::string* why);

}  // namespace steer
