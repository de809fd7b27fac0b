#include "export/byte_pump.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hypersdk::exporter {

namespace {
// 1 MiB chunks: large enough that syscalls and hashing calls cost nothing next to the bytes.
constexpr std::size_t kChunk = 1 << 20;
constexpr int kPollMs = 200;
}  // namespace

Status write_all(int out, const void* data, std::size_t n, Sha256* hash, const std::string& what) {
  if (hash) hash->update(data, n);
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(out, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorClass::internal,
                        "writing " + what + " failed: " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return Status::Ok();
}

Result<std::uint64_t> pump(int in, int out, std::initializer_list<Sha256*> hashes,
                           const PumpHooks& hooks, const std::string& what, std::uint64_t limit) {
  std::vector<char> buf(kChunk);
  std::uint64_t moved = 0;
  while (moved < limit) {
    if (hooks.cancelled && hooks.cancelled())
      return make_error(ErrorClass::cancelled, "cancelled while copying " + what);
    pollfd pfd{in, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, kPollMs);
    if (ready < 0 && errno != EINTR)
      return make_error(ErrorClass::internal,
                        "reading " + what + " failed: " + std::strerror(errno));
    if (ready <= 0) continue;  // nothing yet: check cancellation again
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, limit - moved));
    const ssize_t r = ::read(in, buf.data(), want);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return make_error(ErrorClass::internal,
                        "reading " + what + " failed: " + std::strerror(errno));
    }
    if (r == 0) break;
    for (Sha256* h : hashes)
      if (h) h->update(buf.data(), static_cast<std::size_t>(r));
    if (Status s = write_all(out, buf.data(), static_cast<std::size_t>(r), nullptr, what); !s.ok())
      return s.error();
    moved += static_cast<std::uint64_t>(r);
    if (hooks.progress) hooks.progress(moved);
  }
  return moved;
}

}  // namespace hypersdk::exporter
