#include "export/byte_pump.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
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

namespace {

// Feeds chunks to the second and later hashers on a thread of its own, so a pump with two
// hashes (an OVA member's and the whole archive's) costs the wall time of one: the helper
// hashes chunk i while the caller reads, hashes and writes chunk i + 1. Buffers are a ring;
// a slot is reused only after the helper is done with it.
class HashHelper {
 public:
  static constexpr std::size_t kSlots = 4;
  explicit HashHelper(std::vector<Sha256*> hashes)
      : hashes_(std::move(hashes)), slots_(kSlots, std::vector<char>(kChunk)) {
    if (!hashes_.empty()) thread_ = std::thread([this] { loop(); });
  }
  ~HashHelper() { finish(); }
  bool active() const { return !hashes_.empty(); }
  // The buffer to read the next chunk into (waits while the helper still needs it).
  char* next_slot() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return produced_ - consumed_ < kSlots; });
    return slots_[produced_ % kSlots].data();
  }
  // The chunk just read into next_slot() is ready for the helper.
  void publish(std::size_t n) {
    {
      std::lock_guard lock(mu_);
      sizes_[produced_ % kSlots] = n;
      ++produced_;
    }
    cv_.notify_all();
  }
  // Waits until every published chunk is hashed; stops the thread.
  void finish() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    for (;;) {
      std::size_t slot = 0, n = 0;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return consumed_ < produced_ || done_; });
        if (consumed_ == produced_) return;  // done_ and nothing left
        slot = consumed_ % kSlots;
        n = sizes_[slot];
      }
      for (Sha256* h : hashes_) h->update(slots_[slot].data(), n);
      {
        std::lock_guard lock(mu_);
        ++consumed_;
      }
      cv_.notify_all();
    }
  }

  std::vector<Sha256*> hashes_;
  std::vector<std::vector<char>> slots_;
  std::size_t sizes_[kSlots] = {};
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t produced_ = 0;  // GUARDED_BY(mu_)
  std::size_t consumed_ = 0;  // GUARDED_BY(mu_)
  bool done_ = false;         // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace

Result<std::uint64_t> pump(int in, int out, std::initializer_list<Sha256*> hashes,
                           const PumpHooks& hooks, const std::string& what, std::uint64_t limit) {
  Sha256* first = nullptr;
  std::vector<Sha256*> rest;
  for (Sha256* h : hashes) {
    if (!h) continue;
    if (!first)
      first = h;
    else
      rest.push_back(h);
  }
  HashHelper helper(std::move(rest));
  std::vector<char> own(helper.active() ? 0 : kChunk);
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
    char* buf = helper.active() ? helper.next_slot() : own.data();
    const ssize_t r = ::read(in, buf, want);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return make_error(ErrorClass::internal,
                        "reading " + what + " failed: " + std::strerror(errno));
    }
    if (r == 0) break;
    const auto n = static_cast<std::size_t>(r);
    if (helper.active()) helper.publish(n);
    if (first) first->update(buf, n);
    if (Status s = write_all(out, buf, n, nullptr, what); !s.ok()) return s.error();
    moved += n;
    if (hooks.progress) hooks.progress(moved);
  }
  helper.finish();
  return moved;
}

}  // namespace hypersdk::exporter
