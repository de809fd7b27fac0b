// A test clock steered by a file (serve --test-clock-file, only in builds with
// HYPERSDK_TEST_HOOKS: OFF by default; the test builds of `make build/test` turn it on, and
// `make deploy`/`make deb` install a build without it, so no production binary accepts it). The
// file holds one ISO-8601 time with an offset or Z
// ("2025-03-09T01:59:00-06:00"); whenever its content or modification time changes, the clock
// jumps to that time and then runs on with real time. No file, or an unreadable one, leaves the
// clock where it is (real time at first). Integration tests use it to say "it is now 14:00 in
// Chicago" without waiting for it.
// Thread safety: now_ms may be called from any thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "engine/clock.h"

namespace hypersdk::engine {

class FileClock final : public Clock {
 public:
  explicit FileClock(std::filesystem::path path);
  core::TimeMs now_ms() const override;

 private:
  void poll() const;  // REQUIRES: mu_ held

  const std::filesystem::path path_;
  mutable std::mutex mu_;
  mutable std::chrono::steady_clock::time_point next_poll_;  // GUARDED_BY(mu_)
  mutable std::filesystem::file_time_type mtime_;            // GUARDED_BY(mu_)
  mutable std::string content_;                              // GUARDED_BY(mu_)
  mutable core::TimeMs offset_ = 0;                          // GUARDED_BY(mu_)
};

// The clock of CLI commands that work on the database: real time, or, in builds with
// HYPERSDK_TEST_HOOKS, a FileClock when $HYPERSDK_TEST_CLOCK_FILE names a file (so a test can
// create schedules and submit jobs at the same fake time as its serve --test-clock-file).
std::unique_ptr<Clock> cli_clock();

}  // namespace hypersdk::engine
