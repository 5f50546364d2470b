#include "steer/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace steer {

bool write_all(int fd, const char* p, size_t n) {
  for (size_t off = 0; off < n;) {
    const ssize_t k = ::write(fd, p + off, n - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    off += size_t(k);
  }
  return true;
}

bool sync_dir(const std::string& dir, std::string* why) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    *why = "cannot fsync " + dir + ": " + std::strerror(errno);
    if (dfd >= 0) ::close(dfd);
    return false;
  }
  ::close(dfd);
  return true;
}

bool replace_file(const std::string& path, const std::string& text, mode_t mode, std::string* why) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string tmp = dir + "/.tmp-XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    *why = "cannot create a file in " + dir + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = ::fchmod(fd, mode) == 0 && write_all(fd, text.data(), text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    *why = "cannot write " + tmp + ": " + std::strerror(err);
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *why = "cannot rename " + tmp + " over " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return sync_dir(dir, why);
}

}  // namespace steer
