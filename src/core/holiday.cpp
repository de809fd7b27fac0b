// Holiday dates from plain text (contract in holiday.h); the .ics reader is holiday_ics.cpp.
#include "core/holiday_text.h"

namespace hypersdk::core {
using namespace holiday_detail;

Result<date::year_month_day> parse_iso_date(std::string_view s) {
  auto bad = [&] {
    return Error{ErrorClass::invalid,
                 "\"" + std::string(s) + "\" is not a valid date (want YYYY-MM-DD)"};
  };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s.substr(0, 4)) ||
      !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2)))
    return bad();
  date::year_month_day d{date::year{to_int(s.substr(0, 4))},
                         date::month{static_cast<unsigned>(to_int(s.substr(5, 2)))},
                         date::day{static_cast<unsigned>(to_int(s.substr(8, 2)))}};
  if (!d.ok()) return bad();
  return d;
}

Result<HolidayCalendar> parse_holiday_dates(std::string name, std::string_view text) {
  HolidayCalendar cal;
  cal.name = std::move(name);
  for (std::string_view line : split(text, '\n')) {
    if (std::size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    std::size_t i = 0;
    while (i < line.size()) {
      auto is_sep = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == ',' || c == ';';
      };
      while (i < line.size() && is_sep(line[i])) ++i;
      std::size_t j = i;
      while (j < line.size() && !is_sep(line[j])) ++j;
      if (j > i) {
        auto d = parse_iso_date(line.substr(i, j - i));
        if (!d.ok())
          return Error{ErrorClass::invalid,
                       "holiday calendar \"" + cal.name + "\": " + d.error().message};
        cal.dates.insert(*d);
        if (cal.dates.size() > kMaxHolidayDates)
          return Error{ErrorClass::invalid,
                       "holiday calendar \"" + cal.name + "\": " + too_many_dates()};
      }
      i = j;
    }
  }
  return cal;
}

}  // namespace hypersdk::core
