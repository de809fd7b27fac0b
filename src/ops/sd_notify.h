// The systemd notify protocol (sd_notify(3)) without libsystemd, and the watchdog service.
//
//   sd_notify_send("READY=1\nSTATUS=serving on 127.0.0.1:8080");
//   sd_notify_send("RELOADING=1");  ...  sd_notify_send("READY=1");
//   sd_notify_send("STOPPING=1");
//
// A message is one datagram of newline-separated VAR=value assignments sent to the AF_UNIX
// socket named by $NOTIFY_SOCKET (a path, or an abstract name when it starts with '@').
// Outside systemd ($NOTIFY_SOCKET unset) every call is a cheap no-op.
//
// Thread safety: the free functions may be called from any thread (they read the
// environment, so nobody may setenv() concurrently). A Watchdog is driven from one owner
// thread; its ping loop runs on a thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <sys/types.h>

namespace hypersdk::ops {

// Sends `state` to $NOTIFY_SOCKET. True when the datagram was sent; false when the variable
// is unset, empty or unusable, or sending failed (the caller carries on either way: being
// supervised by systemd is optional).
bool sd_notify_send(std::string_view state);

// Sends `state` to the given socket address ('@' prefix = abstract namespace).
bool sd_notify_send_to(std::string_view socket_address, std::string_view state);

// The watchdog timeout systemd expects pings within ($WATCHDOG_USEC), or nullopt when the
// watchdog is off: WATCHDOG_USEC unset/invalid/0, or WATCHDOG_PID set to another process.
std::optional<std::chrono::microseconds> watchdog_interval();

// The same from explicit values (null = unset), for tests.
std::optional<std::chrono::microseconds> watchdog_interval_from(const char* watchdog_usec,
                                                                const char* watchdog_pid,
                                                                pid_t self);

// Sends WATCHDOG=1 every interval/2 while `healthy` returns true, so that a process whose
// internals are stuck (a dead worker pool, a wedged database) is restarted by systemd while
// one that is merely alive is not. The first ping is sent at start().
struct WatchdogConfig {
  std::chrono::microseconds interval{0};  // WATCHDOG_USEC; zero = disabled, start() does nothing
  std::function<bool()> healthy;          // null = always healthy; an exception = unhealthy
  std::function<bool(std::string_view)> send;  // null = sd_notify_send
};

class Watchdog {
 public:
  explicit Watchdog(WatchdogConfig config);
  ~Watchdog();  // stops
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Idempotent; start() after stop() starts again. stop() is safe before start().
  void start();
  void stop();

  // One tick: checks health and sends WATCHDOG=1 when healthy. Returns whether it sent.
  // Called by the ping thread; public so tests can drive it without one.
  bool run_once();

 private:
  void loop();

  WatchdogConfig config_;
  std::atomic<bool> last_healthy_{true};  // to log transitions once
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;     // owned by the thread calling start()/stop()
};

}  // namespace hypersdk::ops
