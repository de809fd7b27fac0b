#include "ops/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "ops/log.h"

namespace hypersdk::ops {
namespace {

template <typename T>
std::optional<T> parse_unsigned(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  const char* end = text + std::strlen(text);
  T value{};
  auto [p, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || p != end) return std::nullopt;
  return value;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool sd_notify_send_to(std::string_view socket_address, std::string_view state) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // Only absolute paths and abstract names; systemd's vsock: addresses are not supported.
  if (socket_address.size() < 2 || socket_address.size() > sizeof(addr.sun_path)) return false;
  if (socket_address[0] != '/' && socket_address[0] != '@') return false;
  std::memcpy(addr.sun_path, socket_address.data(), socket_address.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  // Abstract names are length-delimited; paths get their terminating NUL when there is room.
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_address.size());
  if (socket_address[0] == '/' && socket_address.size() < sizeof(addr.sun_path)) ++len;

  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  ssize_t n;
  do {
    n = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(state.size());
}

bool sd_notify_send(std::string_view state) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return false;
  return sd_notify_send_to(socket, state);
}

std::optional<std::chrono::microseconds> watchdog_interval_from(const char* watchdog_usec,
                                                                const char* watchdog_pid,
                                                                pid_t self) {
  const auto usec = parse_unsigned<std::uint64_t>(watchdog_usec);
  if (!usec || *usec == 0 || *usec > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  if (watchdog_pid != nullptr) {
    // Set for the main process only: a child that inherited the environment must not ping.
    const auto pid = parse_unsigned<std::uint64_t>(watchdog_pid);
    if (!pid || *pid != static_cast<std::uint64_t>(self)) return std::nullopt;
  }
  return std::chrono::microseconds(static_cast<std::int64_t>(*usec));
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  return watchdog_interval_from(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                                ::getpid());
}

Watchdog::Watchdog(WatchdogConfig config) : config_(std::move(config)) {
  if (!config_.send) config_.send = [](std::string_view s) { return sd_notify_send(s); };
}

Watchdog::~Watchdog() {
  stop();
}

void Watchdog::start() {
  if (thread_.joinable() || config_.interval <= std::chrono::microseconds::zero()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  run_once();  // the first ping goes out before start() returns
  thread_ = std::thread([this] { loop(); });
}

void Watchdog::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Watchdog::run_once() {
  bool healthy = true;
  if (config_.healthy) {
    try {
      healthy = config_.healthy();
    } catch (...) {
      healthy = false;
    }
  }
  if (healthy != last_healthy_.exchange(healthy)) {
    if (healthy) {
      log::info("watchdog: healthy again, pings resumed");
    } else {
      log::warn("watchdog: health check failed, pings withheld",
                {{"watchdog.interval_us", config_.interval.count()}});
    }
  }
  return healthy && config_.send("WATCHDOG=1");
}

void Watchdog::loop() {
  const auto period = config_.interval / 2;
  auto next = std::chrono::steady_clock::now() + period;
  std::unique_lock lock(mu_);
  while (!cv_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    run_once();
    lock.lock();
    // After a late tick (suspend, overload) the cadence restarts from now: no burst.
    next += period;
    if (const auto now = std::chrono::steady_clock::now(); next < now) next = now + period;
  }
}

}  // namespace hypersdk::ops
