#include "ops/signals.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>

#include "ops/log.h"

namespace hypersdk::ops {
namespace {

Error sys_error(const char* what, int err) {
  return make_error(ErrorClass::internal, std::string(what) + ": " + std::strerror(err));
}

}  // namespace

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

Status block_daemon_signals() {
  const sigset_t set = daemon_signals();
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0)
    return sys_error("pthread_sigmask", err);
  return Status::Ok();
}

SignalWaiter::SignalWaiter(Handler handler) : handler_(std::move(handler)) {}

SignalWaiter::~SignalWaiter() {
  stop();
}

Status SignalWaiter::start() {
  if (thread_.joinable()) return Status::Ok();
  const sigset_t set = daemon_signals();
  sigset_t current;
  if (int err = pthread_sigmask(SIG_BLOCK, nullptr, &current); err != 0)
    return sys_error("pthread_sigmask", err);
  for (int sig : {SIGHUP, SIGUSR1, SIGTERM, SIGINT}) {
    if (sigismember(&current, sig) != 1)
      return make_error(ErrorClass::internal,
                        "daemon signals are not blocked: call block_daemon_signals() first");
  }
  signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd_ < 0) return sys_error("signalfd", errno);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const int err = errno;
    ::close(signal_fd_);
    signal_fd_ = -1;
    return sys_error("eventfd", err);
  }
  thread_ = std::thread([this] { loop(); });
  return Status::Ok();
}

void SignalWaiter::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(signal_fd_);
  ::close(wake_fd_);
  signal_fd_ = wake_fd_ = -1;
}

void SignalWaiter::loop() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("signal waiter: poll failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    signalfd_siginfo info;
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const int sig = static_cast<int>(info.ssi_signo);
      log::debug("signal received",
                 {{"signal", sig}, {"signal.sender_pid", static_cast<std::int64_t>(info.ssi_pid)}});
      try {
        handler_(sig);
      } catch (const std::exception& e) {
        log::error("signal handler failed", {{"signal", sig}, {"error", e.what()}});
      } catch (...) {
        log::error("signal handler failed", {{"signal", sig}});
      }
    }
  }
}

}  // namespace hypersdk::ops
