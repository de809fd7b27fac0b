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
//   INTERVAL, COUNT, UNTIL, BYMONTH and one BYDAY (`4TH`, `-1MO`); occurrences are kept only in
//   the years IcsOptions names (the years a schedule can still use), so a rule starting in
//   year 0 costs no more than one starting this year. EXDATE removes occurrences. Other RRULE
//   forms, and a VEVENT inside a VEVENT, are rejected (a calendar silently missing holidays
//   would be worse than an error).
// Both parsers refuse a calendar of more than kMaxHolidayDates dates (memory and time stay
// bounded whatever the input).
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstddef>
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
inline constexpr std::size_t kMaxHolidayDates = 100'000;
// Years all the RRULEs of one file may walk (a real calendar needs a few thousand), so that
// the time to read a 4 MiB file stays well under a second whatever it holds.
inline constexpr long kMaxIcsExpansionSteps = 1'000'000;

struct IcsOptions {
  date::year from_year{1970};
  date::year through_year = kIcsExpandThroughYear;
};

// One YYYY-MM-DD date that exists in the calendar.
Result<date::year_month_day> parse_iso_date(std::string_view s);

Result<HolidayCalendar> parse_holiday_dates(std::string name, std::string_view text);

Result<HolidayCalendar> parse_ics(std::string name, std::string_view text, IcsOptions options = {});

}  // namespace hypersdk::core
