#include "core/time_text.h"

#include <date/date.h>

#include <cctype>
#include <cstdio>
#include <sstream>

namespace hypersdk::core {
using std::chrono::milliseconds;

std::string format_time(TimeMs t) {
  // By hand for the years 0000-9999: date::format goes through an ostringstream (~12,000
  // instructions a call, 5% of a 1,000-step workflow submit's answer, which formats two times
  // per step). Same text as date::format("%FT%TZ") (tests/unit/time_text_test.cpp compares).
  const date::sys_time<milliseconds> tp{milliseconds(t)};
  const auto day = date::floor<date::days>(tp);
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return date::format("%FT%TZ", tp);
  const long long ms = (tp - day).count();  // 0 <= ms < 86,400,000
  char buf[96];                             // room for any int the compiler cannot bound
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", year,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60, ms % 1000);
  return buf;
}

namespace {
Error not_a_time(const std::string& s) {
  return invalid_error("'" + s +
                       "' is not a time: use ISO 8601 with an offset or Z, e.g. "
                       "2026-04-02T14:30:00Z or 2026-04-02T09:30:00-05:00");
}

// date::parse takes any two-digit hour in an offset ("+25:00"); real offsets are within
// +-18:00 (the bound java.time and PostgreSQL use), so a larger one is a typo to report.
Status check_offset(std::string_view s) {
  std::size_t i = s.size();
  while (i > 0 && (std::isdigit(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == ':')) --i;
  if (i == 0 || (s[i - 1] != '+' && s[i - 1] != '-')) return Status::Ok();
  std::string digits;
  for (char c : s.substr(i))
    if (c != ':') digits += c;
  if (digits.size() != 4) return Status::Ok();  // not an offset; the parse decides
  const int hours = std::stoi(digits.substr(0, 2)), minutes = std::stoi(digits.substr(2));
  if (hours * 60 + minutes <= 18 * 60 && minutes < 60) return Status::Ok();
  return invalid_error("'" + std::string(s) + "': UTC offset " + std::string(s.substr(i - 1)) +
                       " is out of range (-18:00 to +18:00)");
}

// Whether `s` has the shape of the forms parse_time accepts: date, 'T' or ' ', HH:MM[:SS[.f]],
// then Z or an offset. Checked before date::parse sees the text: on some malformed input
// ("2026-01-00:00:00:0+010", found by make fuzz) date.h converts a NaN to an integer, which
// is undefined behaviour.
bool time_shaped(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&](std::size_t min, std::size_t max) {
    std::size_t n = 0;
    while (i < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++n;
    return n >= min;
  };
  auto literal = [&](char c) { return i < s.size() && s[i] == c ? (++i, true) : false; };
  if (!digits(1, 4) || !literal('-') || !digits(1, 2) || !literal('-') || !digits(1, 2))
    return false;
  if (!literal('T') && !literal(' ')) return false;
  if (!digits(1, 2) || !literal(':') || !digits(1, 2)) return false;
  if (literal(':')) {
    if (!digits(1, 2)) return false;
    if (literal('.') && !digits(1, 9)) return false;
  }
  if (literal('Z')) return i == s.size();
  if (!literal('+') && !literal('-')) return false;
  if (!digits(1, 2)) return false;
  if (i < s.size()) {
    (void)literal(':');
    if (!digits(2, 2)) return false;
  }
  return i == s.size();
}
}  // namespace

Result<TimeMs> parse_time(std::string_view text) {
  const std::string s(text);
  if (!time_shaped(s)) return not_a_time(s);
  if (Status st = check_offset(s); !st.ok()) return st.error();
  for (const char* fmt : {"%FT%T%Ez", "%FT%TZ", "%FT%T%z", "%F %T%Ez", "%FT%R%Ez", "%FT%RZ"}) {
    std::istringstream in(s);
    date::sys_time<milliseconds> tp;
    in >> date::parse(fmt, tp);
    if (!in.fail() && in.peek() == EOF) return tp.time_since_epoch().count();
  }
  return not_a_time(s);
}

}  // namespace hypersdk::core
