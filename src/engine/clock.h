// Time as a dependency. Logic asks a Clock for wall time (schedules, stored timestamps) and
// waits on the monotonic clock; tests substitute a clock they move by hand.
// Thread safety: implementations are safe to use from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "core/job.h"

namespace hypersdk::engine {

using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, milliseconds since the Unix epoch (UTC).
  virtual core::TimeMs now_ms() const = 0;
  // Monotonic time, for leases, timeouts and grace periods (never jumps with the wall clock).
  virtual SteadyTime steady_now() const { return std::chrono::steady_clock::now(); }
  // Waits `d` of this clock's monotonic time (a retry's backoff, a grace period's poll).
  virtual void sleep_for(std::chrono::milliseconds d) const { std::this_thread::sleep_for(d); }
};

class SystemClock final : public Clock {
 public:
  core::TimeMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that starts at a given wall time and advances with real time at a fixed offset;
// set() jumps it. For tests only.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(core::TimeMs start) { set(start); }
  core::TimeMs now_ms() const override { return SystemClock().now_ms() + offset_.load(); }
  void set(core::TimeMs t) { offset_ = t - SystemClock().now_ms(); }

 private:
  std::atomic<core::TimeMs> offset_{0};
};

}  // namespace hypersdk::engine
