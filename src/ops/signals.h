// Signal handling for the daemon (DESIGN §11): SIGHUP reloads the config, SIGUSR1 reopens
// log files, SIGTERM and SIGINT drain and exit.
//
// No async signal handler is installed. The signals are blocked in every thread, and one
// thread owned by a SignalWaiter reads them from a signalfd and calls an ordinary function,
// which may lock, allocate and log.
//
//   int main() {
//     if (auto s = ops::block_daemon_signals(); !s) ...   // before any thread starts
//     ops::SignalWaiter signals([&](int sig) { ... });     // e.g. post to the main loop
//     signals.start();
//
// Child processes inherit a blocked signal mask across exec(): whoever spawns processes
// (exec jobs, qemu-img) must give the child an empty mask (posix_spawnattr_setsigmask with
// POSIX_SPAWN_SETSIGMASK, or pthread_sigmask after fork), or `kill -TERM` cannot stop it.
//
// Thread safety: block_daemon_signals() and daemon_signals() may be called from any thread;
// a SignalWaiter is started and stopped by its owner thread; the handler runs on the
// waiter's own thread, one signal at a time.
#pragma once

#include <signal.h>

#include <functional>
#include <thread>

#include "core/error.h"

namespace hypersdk::ops {

// SIGHUP, SIGUSR1, SIGTERM, SIGINT.
sigset_t daemon_signals();

// Blocks daemon_signals() in the calling thread; threads created by it afterwards inherit
// the mask. REQUIRES: called from main before any other thread exists, else a signal can
// still be delivered to an older thread, whose default action kills the process.
Status block_daemon_signals();

class SignalWaiter {
 public:
  using Handler = std::function<void(int signal_number)>;

  explicit SignalWaiter(Handler handler);
  ~SignalWaiter();  // stops
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;

  // Starts the waiting thread; idempotent. Fails (and starts nothing) when the calling
  // thread has not blocked daemon_signals() or a descriptor cannot be created.
  // REQUIRES: block_daemon_signals() was called before any other thread started.
  Status start();

  // Stops and joins the waiting thread; idempotent, safe before start(). Signals that arrive
  // later stay pending (blocked) until the next start().
  // REQUIRES: not called from the handler.
  void stop();

 private:
  void loop();

  Handler handler_;
  int signal_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: written by stop() to end loop()
  std::thread thread_;
};

}  // namespace hypersdk::ops
