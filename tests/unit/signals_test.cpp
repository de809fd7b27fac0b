#include "ops/signals.h"

#include <doctest/doctest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using hypersdk::ops::SignalWaiter;

namespace {

// Blocks the daemon signals for the test and restores the previous mask afterwards.
struct BlockedSignals {
  sigset_t previous;
  BlockedSignals() {
    pthread_sigmask(SIG_BLOCK, nullptr, &previous);
    REQUIRE(hypersdk::ops::block_daemon_signals().ok());
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous, nullptr); }
};

struct Received {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> signals;
  std::thread::id thread;

  void add(int sig) {
    std::lock_guard lock(mu);
    signals.push_back(sig);
    thread = std::this_thread::get_id();
    cv.notify_all();
  }
  bool wait_for_count(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return signals.size() >= n; });
  }
};

}  // namespace

TEST_CASE(
    "signals: signal waiter delivers SIGUSR1, SIGHUP and SIGTERM to the handler on its thread") {
  BlockedSignals blocked;
  Received got;
  SignalWaiter waiter([&](int sig) { got.add(sig); });
  REQUIRE(waiter.start().ok());

  ::kill(::getpid(), SIGUSR1);
  REQUIRE(got.wait_for_count(1));
  ::kill(::getpid(), SIGHUP);
  REQUIRE(got.wait_for_count(2));
  ::kill(::getpid(), SIGTERM);  // blocked: does not kill the test process
  REQUIRE(got.wait_for_count(3));
  waiter.stop();

  std::lock_guard lock(got.mu);
  CHECK(got.signals == std::vector<int>{SIGUSR1, SIGHUP, SIGTERM});
  CHECK(got.thread != std::this_thread::get_id());
}

TEST_CASE("signals: signal waiter refuses to start unless the signals are blocked") {
  bool refused = false;
  std::thread([&] {
    const sigset_t set = hypersdk::ops::daemon_signals();
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    SignalWaiter waiter([](int) {});
    refused = !waiter.start().ok();
  }).join();
  CHECK(refused);
}

TEST_CASE("signals: signal waiter stop is idempotent, safe before start, and it can start again") {
  BlockedSignals blocked;
  Received got;
  SignalWaiter waiter([&](int sig) { got.add(sig); });
  waiter.stop();
  REQUIRE(waiter.start().ok());
  REQUIRE(waiter.start().ok());
  waiter.stop();
  waiter.stop();
  REQUIRE(waiter.start().ok());
  ::kill(::getpid(), SIGINT);
  REQUIRE(got.wait_for_count(1));
  waiter.stop();
  std::lock_guard lock(got.mu);
  CHECK(got.signals == std::vector<int>{SIGINT});
}
