// Text helpers shared by the holiday parsers (holiday.cpp, holiday_ics.cpp). Internal.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "core/holiday.h"

namespace hypersdk::core::holiday_detail {

inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

inline bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// REQUIRES: all_digits(s) and s is short enough for an int.
inline int to_int(std::string_view s) {
  int n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t i = s.find(sep, pos);
    out.push_back(s.substr(pos, i == std::string_view::npos ? std::string_view::npos : i - pos));
    if (i == std::string_view::npos) return out;
    pos = i + 1;
  }
}

inline std::string too_many_dates() {
  return "more than " + std::to_string(kMaxHolidayDates) + " holiday dates";
}

}  // namespace hypersdk::core::holiday_detail
