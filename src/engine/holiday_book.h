// The holiday calendars in force, shared by job admission, schedule admission and the
// scheduler, and replaced whole when a config reload brings new ones. Readers take a snapshot
// and keep using it for the operation at hand, so a reload never shows them half a book.
// Thread safety: every member function may be called from any thread.
#pragma once

#include <memory>
#include <mutex>

#include "core/schedule_window.h"

namespace hypersdk::engine {

class HolidayBook {
 public:
  explicit HolidayBook(core::HolidayCalendars calendars = {})
      : calendars_(std::make_shared<const core::HolidayCalendars>(std::move(calendars))) {}

  std::shared_ptr<const core::HolidayCalendars> snapshot() const {
    std::lock_guard lock(mu_);
    return calendars_;
  }

  void replace(core::HolidayCalendars calendars) {
    auto next = std::make_shared<const core::HolidayCalendars>(std::move(calendars));
    std::lock_guard lock(mu_);
    calendars_ = std::move(next);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const core::HolidayCalendars> calendars_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::engine
