#include "vsphere/poll_wait.h"

#include <algorithm>
#include <thread>

namespace hypersdk::vsphere {

PollWait::PollWait(std::function<bool()> cancelled, Sleep sleep)
    : cancelled_(std::move(cancelled)), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

bool PollWait::wait() {
  for (auto left = interval_; left.count() > 0; left -= kSlice) {
    if (cancelled()) return false;
    sleep_(std::min(left, kSlice));
  }
  interval_ = std::min(interval_ * 2, kLongest);
  return !cancelled();
}

}  // namespace hypersdk::vsphere
