#include "core/time_window.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <string>
#include <utility>

namespace hypersdk::core {
namespace {

using std::chrono::minutes;
using std::chrono::sys_seconds;

constexpr std::array<std::string_view, 7> kShortDays = {"sun", "mon", "tue", "wed",
                                                        "thu", "fri", "sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"sunday",   "monday", "tuesday", "wednesday",
                                                       "thursday", "friday", "saturday"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "H:MM" or "HH:MM" as minutes after midnight; 24:00 only when allow_24.
std::optional<minutes> parse_hhmm(std::string_view s, bool allow_24) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 1 || colon > 2 || s.size() != colon + 3)
    return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (i != colon && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  int h = std::stoi(std::string(s.substr(0, colon)));
  int m = std::stoi(std::string(s.substr(colon + 1)));
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return minutes{24 * 60};
  if (h > 23) return std::nullopt;
  return minutes{h * 60 + m};
}

std::optional<unsigned> parse_day_name(std::string_view s) {
  for (unsigned i = 0; i < 7; ++i)
    if (s == kShortDays[i] || s == kLongDays[i]) return i;
  return std::nullopt;
}

sys_seconds resolve(const date::time_zone* zone, date::local_seconds t) {
  if (zone == nullptr) return sys_seconds{t.time_since_epoch()};
  date::local_info li = zone->get_info(t);
  if (li.result == date::local_info::nonexistent) return li.second.begin;  // first instant after
  return sys_seconds{t.time_since_epoch() - li.first.offset};  // unique, or first occurrence
}

date::local_days local_date(const date::time_zone* zone, sys_seconds t) {
  std::chrono::seconds offset{0};
  if (zone != nullptr) offset = zone->get_info(t).offset;
  return date::floor<date::days>(date::local_seconds{t.time_since_epoch() + offset});
}

bool always_open(const WindowPolicy& p) {
  return !p.window && p.days.all() &&
         std::all_of(p.holidays.begin(), p.holidays.end(),
                     [](const HolidayCalendar& c) { return c.dates.empty(); });
}

struct Interval {
  sys_seconds begin;
  sys_seconds end;
};

// The window that starts on local date d, if d is allowed and the window is not empty.
std::optional<Interval> window_on(const WindowPolicy& p, date::local_days d) {
  if (!p.days.contains(date::weekday{d})) return std::nullopt;
  date::year_month_day ymd{d};
  for (const HolidayCalendar& cal : p.holidays)
    if (cal.contains(ymd)) return std::nullopt;
  minutes start = p.window ? p.window->start : minutes{0};
  minutes end = p.window ? p.window->end : minutes{24 * 60};
  date::local_days end_day = end <= start ? d + date::days{1} : d;
  Interval iv{resolve(p.zone, d + start), resolve(p.zone, end_day + end)};
  if (iv.begin >= iv.end) return std::nullopt;
  return iv;
}

// The window containing t: it can only have started on t's local date or the one before.
std::optional<std::pair<date::local_days, Interval>> containing(const WindowPolicy& p,
                                                                sys_seconds t) {
  date::local_days today = local_date(p.zone, t);
  for (date::local_days d : {today - date::days{1}, today}) {
    auto iv = window_on(p, d);
    if (iv && iv->begin <= t && t < iv->end) return std::make_pair(d, *iv);
  }
  return std::nullopt;
}

std::string hhmm(minutes m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m.count() / 60),
                static_cast<int>(m.count() % 60));
  return buf;
}

}  // namespace

std::string TimeWindow::to_string() const {
  return hhmm(start) + "-" + hhmm(end);
}

std::string DayMask::to_string() const {
  if (all()) return "*";
  // Monday first, so a working week reads "mon-fri"; runs of 3+ days become ranges.
  static constexpr std::array<unsigned, 7> kOrder = {1, 2, 3, 4, 5, 6, 0};
  std::string out;
  for (std::size_t i = 0; i < 7;) {
    if (!days[kOrder[i]]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j + 1 < 7 && days[kOrder[j + 1]]) ++j;
    if (!out.empty()) out += ',';
    out += kShortDays[kOrder[i]];
    if (j - i >= 2) {
      out += '-';
      out += kShortDays[kOrder[j]];
    } else if (j > i) {
      out += ',';
      out += kShortDays[kOrder[j]];
    }
    i = j + 1;
  }
  return out;
}

Result<TimeWindow> parse_window(std::string_view text) {
  std::string_view s = trim(text);
  auto fail = [&](const std::string& detail) {
    return Error{ErrorClass::invalid, "time window \"" + std::string(text) + "\": " + detail};
  };
  std::size_t dash = s.find('-');
  if (dash == std::string_view::npos) return fail("want HH:MM-HH:MM, e.g. 22:00-06:00");
  std::string_view a = trim(s.substr(0, dash));
  std::string_view b = trim(s.substr(dash + 1));
  auto start = parse_hhmm(a, false);
  if (!start) return fail("start \"" + std::string(a) + "\" is not a time 00:00-23:59");
  auto end = parse_hhmm(b, true);
  if (!end) return fail("end \"" + std::string(b) + "\" is not a time 00:00-24:00");
  if (*start == *end)
    return fail("start equals end; omit the window to mean always open, or use 00:00-24:00");
  return TimeWindow{*start, *end};
}

Result<DayMask> parse_days(std::string_view text) {
  std::string lowered(trim(text));
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto fail = [&](const std::string& detail) {
    return Error{ErrorClass::invalid, "days \"" + std::string(text) + "\": " + detail};
  };
  if (lowered.empty()) return fail("empty day list (use * for every day)");
  DayMask mask;
  if (lowered == "*") return mask;
  mask.days.reset();
  std::string_view rest = lowered;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (item.empty()) return fail("empty list item");
    std::size_t dash = item.find('-');
    std::string_view first = trim(item.substr(0, dash));
    auto a = parse_day_name(first);
    if (!a) return fail("\"" + std::string(first) + "\" is not a day name (mon..sun)");
    unsigned last_day = *a;
    if (dash != std::string_view::npos) {
      std::string_view second = trim(item.substr(dash + 1));
      auto b = parse_day_name(second);
      if (!b) return fail("\"" + std::string(second) + "\" is not a day name (mon..sun)");
      last_day = *b;
    }
    for (unsigned d = *a;; d = (d + 1) % 7) {  // ranges may wrap the week: fri-mon
      mask.days.set(d);
      if (d == last_day) break;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return mask;
}

bool is_open(const WindowPolicy& p, sys_seconds t) {
  return always_open(p) || containing(p, t).has_value();
}

std::optional<sys_seconds> next_open(const WindowPolicy& p, sys_seconds t) {
  if (is_open(p, t)) return t;
  if (p.days.days.none()) return std::nullopt;
  const date::local_days today = local_date(p.zone, t);
  for (date::local_days d = today - date::days{1}; d <= today + kWindowSearchHorizon;
       d += date::days{1}) {
    auto iv = window_on(p, d);
    if (iv && iv->end > t) return std::max(iv->begin, t);
  }
  return std::nullopt;
}

std::optional<sys_seconds> current_close(const WindowPolicy& p, sys_seconds t) {
  if (always_open(p)) return std::nullopt;
  auto found = containing(p, t);
  if (!found) return t;
  sys_seconds close = found->second.end;
  const date::local_days first = found->first;
  for (date::local_days d = first + date::days{1}; d <= first + kWindowSearchHorizon;
       d += date::days{1}) {
    auto iv = window_on(p, d);
    if (!iv || iv->begin > close) return close;
    close = std::max(close, iv->end);
  }
  return std::nullopt;
}

}  // namespace hypersdk::core
