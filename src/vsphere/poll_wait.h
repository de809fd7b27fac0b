// The wait between two polls of a vCenter task or export lease. The interval doubles from
// 50 ms to at most 1 s (a short task ends fast, a long one costs a call a second), and each
// wait is cut into slices of at most 25 ms that ask `cancelled`, so a job cancel is seen
// within a slice whatever the interval has grown to (vCenter tasks can take minutes).
// The sleep is injected so tests count the time waited without waiting it.
// Thread safety: one thread at a time.
#pragma once

#include <chrono>
#include <functional>

namespace hypersdk::vsphere {

class PollWait {
 public:
  static constexpr std::chrono::milliseconds kFirst{50};
  static constexpr std::chrono::milliseconds kLongest{1000};
  static constexpr std::chrono::milliseconds kSlice{25};
  using Sleep = std::function<void(std::chrono::milliseconds)>;

  // `cancelled` may be empty (never cancelled); `sleep` empty: the real clock.
  explicit PollWait(std::function<bool()> cancelled, Sleep sleep = {});

  bool cancelled() const { return cancelled_ && cancelled_(); }
  // Waits the current interval, then doubles it (bounded). False as soon as `cancelled`
  // says so, before or during the wait.
  bool wait();
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  std::function<bool()> cancelled_;
  Sleep sleep_;
  std::chrono::milliseconds interval_ = kFirst;
};

}  // namespace hypersdk::vsphere
