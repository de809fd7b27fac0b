#include "ops/sd_notify.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using hypersdk::ops::Watchdog;
using hypersdk::ops::WatchdogConfig;

namespace {

// A datagram socket standing in for systemd's notify socket; NOTIFY_SOCKET points at it
// while the object lives.
class NotifySocket {
 public:
  // A path in a fresh temporary directory, or an abstract name when `abstract`.
  explicit NotifySocket(bool abstract = false) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len;
    if (abstract) {
      name_ = "@hypersdk-test-" + std::to_string(::getpid());
      std::memcpy(addr.sun_path, name_.data(), name_.size());
      addr.sun_path[0] = '\0';
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    } else {
      std::string tmpl = (fs::temp_directory_path() / "hypersdk-notify-XXXXXX").string();
      REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
      dir_ = tmpl;
      name_ = (dir_ / "notify").string();
      std::strcpy(addr.sun_path, name_.c_str());
      len = sizeof addr;
    }
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    ::setenv("NOTIFY_SOCKET", name_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::optional<std::string> receive(std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

  int drain() {
    int n = 0;
    while (receive(0ms)) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  fs::path dir_;
  std::string name_;
};

}  // namespace

TEST_CASE("sd_notify: sd_notify_send delivers the state to the datagram socket in NOTIFY_SOCKET") {
  NotifySocket sock;
  CHECK(hypersdk::ops::sd_notify_send("READY=1\nSTATUS=serving on 127.0.0.1:8080"));
  CHECK(sock.receive() == "READY=1\nSTATUS=serving on 127.0.0.1:8080");
  CHECK(hypersdk::ops::sd_notify_send("STOPPING=1"));
  CHECK(sock.receive() == "STOPPING=1");
}

TEST_CASE("sd_notify: sd_notify_send reaches an abstract socket named with '@'") {
  NotifySocket sock(/*abstract=*/true);
  CHECK(hypersdk::ops::sd_notify_send("RELOADING=1"));
  CHECK(sock.receive() == "RELOADING=1");
}

TEST_CASE("sd_notify: sd_notify_send is a no-op without NOTIFY_SOCKET or with a bad address") {
  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(hypersdk::ops::sd_notify_send("READY=1"));
  CHECK_FALSE(hypersdk::ops::sd_notify_send_to("relative/path", "READY=1"));
  CHECK_FALSE(hypersdk::ops::sd_notify_send_to("/nonexistent/hypersdk/notify", "READY=1"));
}

TEST_CASE("sd_notify: watchdog_interval reads WATCHDOG_USEC and honours WATCHDOG_PID") {
  using hypersdk::ops::watchdog_interval_from;
  CHECK(watchdog_interval_from("30000000", nullptr, 42) == std::chrono::microseconds(30'000'000));
  CHECK(watchdog_interval_from("30000000", "42", 42) == std::chrono::microseconds(30'000'000));
  CHECK_FALSE(watchdog_interval_from("30000000", "43", 42).has_value());
  CHECK_FALSE(watchdog_interval_from("0", nullptr, 42).has_value());
  CHECK_FALSE(watchdog_interval_from("-5", nullptr, 42).has_value());
  CHECK_FALSE(watchdog_interval_from("12abc", nullptr, 42).has_value());
  CHECK_FALSE(watchdog_interval_from(nullptr, nullptr, 42).has_value());

  ::setenv("WATCHDOG_USEC", "2000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(hypersdk::ops::watchdog_interval() == std::chrono::microseconds(2'000'000));
  ::setenv("WATCHDOG_PID", "1", 1);
  CHECK_FALSE(hypersdk::ops::watchdog_interval().has_value());
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(hypersdk::ops::watchdog_interval().has_value());
}

TEST_CASE("sd_notify: watchdog pings at half the interval while healthy and stops when unhealthy") {
  NotifySocket sock;
  std::atomic<bool> healthy{true};
  std::atomic<int> checks{0};  // health checks begun: the watchdog's ticks
  Watchdog dog(WatchdogConfig{200ms,
                              [&] {
                                ++checks;
                                return healthy.load();
                              },
                              nullptr});
  // True once `n` health checks have begun, false after 5 s.
  auto wait_for_checks = [&](int n) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (checks.load() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    return checks.load() >= n;
  };
  const auto start = std::chrono::steady_clock::now();
  dog.start();
  int pings = 0;
  while (std::chrono::steady_clock::now() - start < 1050ms) {
    if (auto msg = sock.receive(50ms)) {
      CHECK(*msg == "WATCHDOG=1");
      ++pings;
    }
  }
  // One at start, then every 100 ms: 11 in 1.05 s; allow for a loaded machine.
  CHECK(pings >= 8);
  CHECK(pings <= 12);

  // Unhealthy: silence counts only after the watchdog has looked. A check that began after
  // the switch sees it; one already under way may still ping, and is drained. By the time a
  // third check begins, two whole checks have run while unhealthy, each of which would have
  // pinged by then, and none did.
  healthy = false;
  const int seen = checks.load();
  REQUIRE(wait_for_checks(seen + 1));
  sock.drain();
  REQUIRE(wait_for_checks(seen + 3));
  CHECK(sock.drain() == 0);

  healthy = true;
  CHECK(sock.receive(1000ms) == "WATCHDOG=1");
  dog.stop();
  sock.drain();
  std::this_thread::sleep_for(250ms);
  CHECK(sock.drain() == 0);
}

TEST_CASE("sd_notify: watchdog start and stop are idempotent and stop is safe before start") {
  int sent = 0;
  Watchdog dog(WatchdogConfig{10s, nullptr, [&](std::string_view) { return ++sent, true; }});
  dog.stop();
  dog.start();
  dog.start();
  dog.stop();
  dog.stop();
  CHECK(sent == 1);  // the ping at start
  CHECK(dog.run_once());
  CHECK(sent == 2);

  Watchdog off(WatchdogConfig{0us, nullptr, [&](std::string_view) { return ++sent, true; }});
  off.start();  // disabled: no thread, no ping
  off.stop();
  CHECK(sent == 2);
}

TEST_CASE("sd_notify: a throwing health check counts as unhealthy") {
  int sent = 0;
  Watchdog dog(WatchdogConfig{1s, []() -> bool { throw std::runtime_error("db gone"); },
                              [&](std::string_view) { return ++sent, true; }});
  CHECK_FALSE(dog.run_once());
  CHECK(sent == 0);
}
