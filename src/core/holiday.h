// Holiday calendars: named sets of calendar dates on which windows stay closed.
// Parsed from text the caller has read (a config list or an .ics file); no I/O here.
//
// parse_holiday_dates: ISO dates (YYYY-MM-DD) separated by whitespace, commas or semicolons;
//   `#` starts a comment running to the end of the line.
// parse_ics: iCalendar (RFC 5545) VEVENTs, other components ignored. Supported:
//   DTSTART/DTEND as DATE (`DTSTART;VALUE=DATE:20251225`) or DATE-TIME (`20251225T000000Z`,
//   floating or with TZID); the date as written is used, times are not converted between
//   zones. DTEND is exclusive (a DATE-TIME end at 00:00:00 excludes that day); without DTEND,
//   DURATION (PnW, PnD, PTnHnMnS) or a single day. RRULE with FREQ=YEARLY and optional
//   INTERVAL, COUNT, UNTIL, BYMONTH and one BYDAY (`4TH`, `-1MO`); an open-ended rule is expanded
//   through kIcsExpandThroughYear. EXDATE removes occurrences. Other RRULE forms are rejected
//   (a calendar silently missing holidays would be worse than an error).
//
// Thread safety: plain values and pure functions.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include <date/date.h>

#include "core/error.h"

namespace hypersdk::core {

struct HolidayCalendar {
  std::string name;
  std::set<date::year_month_day> dates;

  bool contains(date::year_month_day d) const { return dates.count(d) != 0; }
};

inline constexpr date::year kIcsExpandThroughYear{2100};

// One YYYY-MM-DD date that exists in the calendar.
Result<date::year_month_day> parse_iso_date(std::string_view s);

Result<HolidayCalendar> parse_holiday_dates(std::string name, std::string_view text);

Result<HolidayCalendar> parse_ics(std::string name, std::string_view text);

}  // namespace hypersdk::core
