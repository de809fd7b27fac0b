// Cron expressions: parsing and wall-clock matching. Pure: no time zones, no clocks.
//
// Grammar (standard 5 fields, whitespace separated):
//   minute(0-59) hour(0-23) day-of-month(1-31) month(1-12|JAN-DEC) day-of-week(0-7|SUN-SAT)
// Each field is a comma list of items; an item is `*`, `N`, `A-B` or any of those followed by
// `/STEP`; `N/STEP` means `N-max/STEP`. Names are case-insensitive; day-of-week 0 and 7 are both
// Sunday, and `SUN` ending a range means 7 (`FRI-SUN`). Macros: @yearly @annually @monthly
// @weekly @daily @midnight @hourly. Anything else (wrong field count, out-of-range value, step 0,
// reversed range, unknown name, garbage) is an Error of class invalid whose message names the
// field: `cron field 2 (hour) "25": value 25 out of range 0-23`.
//
// Cron's OR rule: when day-of-month and day-of-week are both restricted, a day matches if either
// matches; otherwise both must. A field is unrestricted ("star") when an item is `*` or `*/1`.
// `*/2` is restricted (as in robfig/cron and croniter; Vixie cron tests only the first character).
//
// Thread safety: CronExpr is a plain value; all functions are pure and thread-safe.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

#include "core/error.h"

namespace hypersdk::core {

struct CronExpr {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bit d is day d (1-31); bit 0 unused
  std::bitset<13> months;         // bit m is month m (1-12); bit 0 unused
  std::bitset<7> days_of_week;    // bit 0 is Sunday ... bit 6 Saturday

  // The field was unrestricted (`*` or `*/1`); dom/dow flags drive the OR rule.
  bool minute_star = false;
  bool hour_star = false;
  bool dom_star = false;
  bool month_star = false;
  bool dow_star = false;
  // The field selects exactly one value ("30", "2"). Minute and hour both fixed make a
  // fixed-time job, which DstFold::auto_ fires only once in a repeated hour.
  bool minute_fixed = false;
  bool hour_fixed = false;

  // Normalized source: macros in canonical spelling (@annually -> @yearly, @midnight -> @daily),
  // otherwise the five fields upper-cased and joined by single spaces. Parses back to *this.
  std::string source;

  const std::string& to_string() const { return source; }
  bool operator==(const CronExpr&) const = default;
};

Result<CronExpr> parse_cron(std::string_view text);

// True when the calendar day matches day-of-month, month and day-of-week (with the OR rule).
bool day_matches(const CronExpr& e, date::year_month_day day);

// True when wall time t matches all five fields; seconds are ignored.
bool matches(const CronExpr& e, date::local_seconds t);

// The first wall time at or after `from` (rounded up to a whole minute) and before `until` that
// matches; nullopt if there is none. Walks days and skips months, hours and minutes by bitset,
// so the cost is bounded by the number of days in [from, until), never by minutes.
std::optional<date::local_seconds> next_local_match(const CronExpr& e, date::local_seconds from,
                                                    date::local_seconds until);

}  // namespace hypersdk::core
