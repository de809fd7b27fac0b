// Test helpers for time-based tests: instants written as UTC ISO strings, and doctest printing
// of instants and wall times in the same form so failures read as times, not "{?}".
#pragma once

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>

#include <date/date.h>
#include <doctest/doctest.h>

namespace hypersdk::core::testing {

// "2025-03-09T08:30:00Z" -> the instant. Throws on a malformed literal (a bug in the test).
inline std::chrono::sys_seconds utc(const std::string& iso) {
  std::istringstream in(iso);
  date::sys_seconds t;
  in >> date::parse("%FT%TZ", t);
  if (in.fail()) throw std::invalid_argument("bad UTC literal " + iso);
  return t;
}

// "2025-03-09T02:30:00" -> the wall time.
inline date::local_seconds local(const std::string& iso) {
  std::istringstream in(iso);
  date::local_seconds t;
  in >> date::parse("%FT%T", t);
  if (in.fail()) throw std::invalid_argument("bad local literal " + iso);
  return t;
}

inline date::year_month_day ymd(int y, unsigned m, unsigned d) {
  return date::year{y} / date::month{m} / date::day{d};
}

}  // namespace hypersdk::core::testing

namespace doctest {
template <>
struct StringMaker<std::chrono::sys_seconds> {
  static String convert(const std::chrono::sys_seconds& t) {
    return date::format("%FT%TZ", t).c_str();
  }
};
template <>
struct StringMaker<date::local_seconds> {
  static String convert(const date::local_seconds& t) {
    return date::format("%FT%T (local)", t).c_str();
  }
};
}  // namespace doctest
