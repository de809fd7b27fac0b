#include "ops/bounded_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hypersdk::ops {

Result<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes,
                                      std::string_view what) {
  const std::string prefix = std::string(what) + " " + path.string() + ": ";
  auto fail = [&](const std::string& why) { return make_error(ErrorClass::invalid, prefix + why); };
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return fail(std::string("cannot read: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(std::string("cannot read: ") + std::strerror(errno));
  // /dev/null (1,3) is the conventional empty input (`--config /dev/null`); any other device,
  // FIFO or directory could block or never end.
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) return std::string();
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  const std::string too_big = "is larger than the limit of " + std::to_string(max_bytes) + " bytes";
  if (static_cast<std::size_t>(st.st_size) > max_bytes) return fail(too_big);
  std::string out;
  out.resize(max_bytes + 1);
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) return fail(too_big);
  out.resize(got);
  return out;
}

}  // namespace hypersdk::ops
