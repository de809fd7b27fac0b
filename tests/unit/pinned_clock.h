// A Clock that stays at the instant the test puts it (scheduler tests), and `ms` for writing
// those instants as ISO 8601 text. For a clock that also sleeps, see manual_clock.h.
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>

#include "cron_test_support.h"
#include "engine/clock.h"

namespace hypersdk::test {

inline core::TimeMs ms(const char* iso) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             core::testing::utc(iso).time_since_epoch())
      .count();
}

class PinnedClock final : public engine::Clock {
 public:
  explicit PinnedClock(core::TimeMs t) : t_(t) {}
  core::TimeMs now_ms() const override { return t_.load(); }
  void set(core::TimeMs t) { t_ = t; }
  void set(const char* iso) { t_ = ms(iso); }

 private:
  std::atomic<core::TimeMs> t_;
};

}  // namespace hypersdk::test
