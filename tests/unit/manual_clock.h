// A Clock moved by hand, for tests of code that reads time and sleeps (the worker pool, the
// exec handler). Wall and monotonic time advance together. sleep_for either advances the
// clock itself (auto_advance: a backoff costs no real time) or blocks until another thread
// advances the clock past the wake-up time, as a real sleep would.
// Thread safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <mutex>

#include "engine/clock.h"

namespace hypersdk::test {

class ManualClock final : public engine::Clock {
 public:
  explicit ManualClock(core::TimeMs wall = 1'700'000'000'000) : wall_start_(wall) {}

  core::TimeMs now_ms() const override {
    std::lock_guard lock(mu_);
    return wall_start_ + elapsed_.count();
  }
  engine::SteadyTime steady_now() const override {
    std::lock_guard lock(mu_);
    return engine::SteadyTime(std::chrono::hours(1)) + elapsed_;
  }
  void sleep_for(std::chrono::milliseconds d) const override {
    std::unique_lock lock(mu_);
    if (auto_advance_) {
      elapsed_ += d;
      ++sleeps_;
      cv_.notify_all();
      return;
    }
    const auto until = elapsed_ + d;
    ++sleeps_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return elapsed_ >= until; });
  }

  void advance(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    elapsed_ += d;
    cv_.notify_all();
  }
  void set_auto_advance(bool on) {
    std::lock_guard lock(mu_);
    auto_advance_ = on;
    cv_.notify_all();
  }
  // Sleeps started so far (a sleeper's arrival is a positive signal for the test to act on).
  int sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  // Blocks until at least `n` sleeps have started (false after `limit` of real time).
  bool wait_for_sleeps(int n, std::chrono::milliseconds limit = std::chrono::seconds(20)) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return sleeps_ >= n; });
  }

 private:
  const core::TimeMs wall_start_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::chrono::milliseconds elapsed_{0};  // GUARDED_BY(mu_)
  mutable int sleeps_ = 0;                        // GUARDED_BY(mu_)
  bool auto_advance_ = false;                     // GUARDED_BY(mu_)
};

}  // namespace hypersdk::test
