// The holiday calendars of the config (`holidays: NAME: {dates: [...], ics: PATH}`): each
// calendar is the union of its listed dates and the dates of its .ics file. A relative ics
// path is taken from the config file's directory.
// Thread safety: a pure function of the config and the files it names.
#pragma once

#include "core/schedule_window.h"
#include "ops/config.h"

namespace hypersdk::engine {

// Errors: class invalid naming the calendar and the file (unreadable, or not an iCalendar
// hypersdk understands).
Result<core::HolidayCalendars> load_holiday_calendars(const ops::Config& config);

}  // namespace hypersdk::engine
