// Time windows: when a scheduled job may start (DESIGN §5). Pure: time is a parameter.
//
// A WindowPolicy opens once per allowed local date D, from D+start to the next end (D+end, or
// D+1+end when the window crosses midnight), in the policy's zone.
//   - The day-of-week mask and the holidays apply to D, the local date on which the window
//     STARTS: `22:00-06:00` with days mon-fri opens Friday 22:00 and runs into Saturday 06:00,
//     and does not open Sunday night; a holiday on Friday suppresses the Friday-night window.
//   - No window means whole days (00:00-24:00) filtered by days and holidays; no window, every
//     day and no holidays is always open.
//   - A boundary in a DST gap resolves to the first valid instant after the gap; a boundary in
//     a repeated hour resolves to its first occurrence. If both ends resolve to the same instant
//     (a window inside the gap) that date's window does not open.
//   - Windows are half-open: open at start, closed at end.
// Searches are bounded by kWindowSearchHorizon days; past it the window counts as never opening
// (next_open) or never closing (current_close).
//
// Window text: "HH:MM-HH:MM" (24h; H:MM accepted). start == end is rejected: omit the window to
// mean always open, or write "00:00-24:00" (24:00 is valid only as an end). end < start crosses
// midnight. Days text: "*", names (mon or monday, any case), lists and ranges: "mon-fri",
// "mon,wed,fri", "sat-sun"; a range may wrap the week ("fri-mon").
//
// Thread safety: plain values and pure functions.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <date/tz.h>

#include "core/error.h"
#include "core/holiday.h"

namespace hypersdk::core {

struct TimeWindow {
  std::chrono::minutes start{0};  // after local midnight, [0, 24h)
  std::chrono::minutes end{0};    // (0, 24h]; end < start crosses midnight

  bool crosses_midnight() const { return end < start; }
  std::string to_string() const;  // "22:00-06:00"
  bool operator==(const TimeWindow&) const = default;
};

struct DayMask {
  std::bitset<7> days{0x7f};  // bit 0 is Sunday ... bit 6 Saturday; default every day

  bool contains(date::weekday wd) const { return days[wd.c_encoding()]; }
  bool all() const { return days.all(); }
  std::string to_string() const;  // "*" or "mon-fri", "mon,wed,fri", "sat,sun"
  bool operator==(const DayMask&) const = default;
};

Result<TimeWindow> parse_window(std::string_view text);
Result<DayMask> parse_days(std::string_view text);

struct WindowPolicy {
  std::optional<TimeWindow> window;
  DayMask days;
  std::vector<HolidayCalendar> holidays;
  const date::time_zone* zone = nullptr;  // nullptr means UTC
};

inline constexpr date::days kWindowSearchHorizon{732};  // two years

// True when `p` is open at t.
bool is_open(const WindowPolicy& p, std::chrono::sys_seconds t);

// t itself if open; else the next instant the window opens; nullopt if it does not open within
// the horizon (e.g. an empty day mask).
std::optional<std::chrono::sys_seconds> next_open(const WindowPolicy& p,
                                                  std::chrono::sys_seconds t);

// When the stretch of open time containing t ends. Back-to-back windows (no gap between one
// date's close and the next date's open) count as one stretch. Returns t when closed at t;
// nullopt when it does not close within the horizon (e.g. always open).
std::optional<std::chrono::sys_seconds> current_close(const WindowPolicy& p,
                                                      std::chrono::sys_seconds t);

}  // namespace hypersdk::core
