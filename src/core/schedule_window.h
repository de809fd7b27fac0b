// The time window a job may start in (DESIGN §5): what a schedule or a submit asks for, in
// the form a job carries. Pure values; the holiday names are resolved to dates by the engine
// (from config) before the job is stored, so the store can judge the window on its own.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/holiday.h"
#include "core/time_window.h"

namespace hypersdk::core {

// What happens to a job still running when its window closes.
enum class WindowClose { let_finish, cancel };
std::string_view to_string(WindowClose c);  // "let_finish" | "cancel"
Result<WindowClose> parse_window_close(std::string_view s);

// Named holiday calendars, as configured (`holidays:` in the config).
using HolidayCalendars = std::map<std::string, HolidayCalendar, std::less<>>;

struct JobWindow {
  std::string timezone = "UTC";            // IANA name
  std::optional<TimeWindow> window;        // none: whole days
  DayMask days;                            // default every day
  std::vector<std::string> holiday_names;  // as requested
  std::vector<HolidayCalendar> holidays;   // resolved dates (see resolve_holidays)
  WindowClose close = WindowClose::let_finish;

  // True when the window keeps a job from starting at some times (a window, a day mask or a
  // holiday); a JobWindow that never restricts need not be stored.
  bool restricts() const;
};

// Builds a JobWindow from its text forms; every part is validated (bad window, days, zone or
// close policy: class invalid, naming the bad value).
Result<JobWindow> make_job_window(std::string_view timezone, std::string_view window,
                                  std::string_view days,
                                  const std::vector<std::string>& holiday_names,
                                  std::string_view close);

// Fills w.holidays from `calendars` for w.holiday_names, keeping only dates in
// [from - 2 days, from + kWindowSearchHorizon + 2 days] (nothing later can matter to a job that
// starts from `from`). An unknown name is an error of class invalid listing the known ones.
Status resolve_holidays(JobWindow& w, const HolidayCalendars& calendars,
                        std::chrono::sys_seconds from);

// The pure policy for is_open/next_open. REQUIRES: w.timezone names a zone (make_job_window
// checked it); an unknown zone falls back to UTC.
WindowPolicy to_policy(const JobWindow& w);

// When a job with window `w` that wants to start at `t` (ms since the epoch) may start: t
// itself when the window is open then, else the next opening. nullopt when it never opens
// within kWindowSearchHorizon (e.g. every day is a holiday).
std::optional<std::int64_t> window_start_at(const JobWindow& w, std::int64_t t_ms);

}  // namespace hypersdk::core
