// The shape every maintenance service shares (lease reaper, checkpointer, pruner): a loop
// that calls run_once() every `interval`, logs a failure and goes on. start()/stop() are
// idempotent and stop() is safe before start(). The first run_once() comes `first_delay`
// after start() (at once by default). An interval of 0 or less runs only when poked (it
// never turns into a busy loop). A service may shorten one wait with `next_wait` (the
// scheduler sleeps only until its earliest due fire, never longer than `interval`).
// Thread safety: start/stop from the owning thread; run_once runs on the service's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"

namespace hypersdk::engine {

class PeriodicService {
 public:
  PeriodicService(std::string name, std::chrono::milliseconds interval,
                  std::function<Status()> run_once,
                  std::chrono::milliseconds first_delay = std::chrono::milliseconds(0));
  ~PeriodicService();
  PeriodicService(const PeriodicService&) = delete;
  PeriodicService& operator=(const PeriodicService&) = delete;

  void start();
  void stop();
  // Runs the next iteration now instead of at the end of the interval.
  void poke();
  // REQUIRES: called before start(). Asked after each run_once for the wait before the next
  // one; the answer is clamped to [1 ms, interval].
  void set_next_wait(std::function<std::chrono::milliseconds()> next_wait);
  const std::string& name() const { return name_; }

 private:
  void loop();
  // Waits `how_long` (without end when <= 0), or until poked or stopped; false when stopping.
  bool wait(std::chrono::milliseconds how_long);

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const std::function<Status()> run_once_;
  const std::chrono::milliseconds first_delay_;
  std::function<std::chrono::milliseconds()> next_wait_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;  // GUARDED_BY(mu_)
  bool poked_ = false;    // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace hypersdk::engine
