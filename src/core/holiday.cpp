#include "core/holiday.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

namespace hypersdk::core {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// REQUIRES: all_digits(s) and s is short enough for an int.
int to_int(std::string_view s) {
  int n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t i = s.find(sep, pos);
    out.push_back(s.substr(pos, i == std::string_view::npos ? std::string_view::npos : i - pos));
    if (i == std::string_view::npos) return out;
    pos = i + 1;
  }
}

// ---- .ics ----------------------------------------------------------------------------------

struct ContentLine {
  int number = 0;  // first physical line, 1-based
  std::string name;
  std::string value;
};

// RFC 5545 §3.1: a line starting with a space or tab continues the previous one.
std::vector<std::pair<int, std::string>> unfold(std::string_view text) {
  std::vector<std::pair<int, std::string>> out;
  int number = 0;
  for (std::string_view raw : split(text, '\n')) {
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (!raw.empty() && (raw[0] == ' ' || raw[0] == '\t') && !out.empty()) {
      out.back().second.append(raw.substr(1));
    } else if (!raw.empty()) {
      out.emplace_back(number, std::string(raw));
    }
  }
  return out;
}

std::optional<ContentLine> split_content_line(int number, std::string_view line) {
  bool quoted = false;
  std::size_t name_end = std::string_view::npos;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == ';' && name_end == std::string_view::npos) name_end = i;
    if (c == ':') {
      if (name_end == std::string_view::npos) name_end = i;
      return ContentLine{number, upper(line.substr(0, name_end)), std::string(line.substr(i + 1))};
    }
  }
  return std::nullopt;
}

struct IcsTime {
  date::local_seconds t;
  bool is_date = false;
};

// YYYYMMDD or YYYYMMDDTHHMMSS with an optional trailing Z. The wall time is kept as written.
std::optional<IcsTime> parse_ics_time(std::string_view v) {
  if (v.size() < 8 || !all_digits(v.substr(0, 8))) return std::nullopt;
  date::year_month_day d{date::year{to_int(v.substr(0, 4))},
                         date::month{static_cast<unsigned>(to_int(v.substr(4, 2)))},
                         date::day{static_cast<unsigned>(to_int(v.substr(6, 2)))}};
  if (!d.ok()) return std::nullopt;
  if (v.size() == 8) return IcsTime{date::local_days{d}, true};
  if (v.back() == 'Z') v.remove_suffix(1);
  if (v.size() != 15 || v[8] != 'T' || !all_digits(v.substr(9))) return std::nullopt;
  int h = to_int(v.substr(9, 2)), m = to_int(v.substr(11, 2)), s = to_int(v.substr(13, 2));
  if (h > 23 || m > 59 || s > 60) return std::nullopt;
  return IcsTime{date::local_days{d} + std::chrono::hours{h} + std::chrono::minutes{m} +
                     std::chrono::seconds{s},
                 false};
}

// PnW, PnD, PnDTnHnMnS, PTnH... (no sign, no months or years: those have no fixed length).
std::optional<std::chrono::seconds> parse_duration(std::string_view v) {
  if (v.size() < 3 || v[0] != 'P') return std::nullopt;
  std::chrono::seconds total{0};
  bool in_time = false;
  std::size_t i = 1;
  while (i < v.size()) {
    if (v[i] == 'T' && !in_time) {
      in_time = true;
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j]))) ++j;
    if (j == i || j == v.size() || j - i > 6) return std::nullopt;
    long n = to_int(v.substr(i, j - i));
    char unit = v[j];
    if (!in_time && unit == 'W')
      total += std::chrono::seconds{n * 7 * 86400};
    else if (!in_time && unit == 'D')
      total += std::chrono::seconds{n * 86400};
    else if (in_time && unit == 'H')
      total += std::chrono::seconds{n * 3600};
    else if (in_time && unit == 'M')
      total += std::chrono::seconds{n * 60};
    else if (in_time && unit == 'S')
      total += std::chrono::seconds{n};
    else
      return std::nullopt;
    i = j + 1;
  }
  return total;
}

struct YearlyRule {
  int interval = 1;
  int count = 0;  // 0: unlimited
  std::optional<date::year_month_day> until;
  std::optional<date::month> by_month;
  std::optional<date::weekday> by_weekday;
  int by_weekday_nth = 0;  // 1..5 from the start of the month, -1..-5 from its end
};

std::optional<date::weekday> parse_weekday2(std::string_view s) {
  static constexpr std::string_view kDays[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
  for (unsigned i = 0; i < 7; ++i)
    if (kDays[i] == s) return date::weekday{i};
  return std::nullopt;
}

// Returns an error detail, or nullopt when `rule` was filled in.
std::optional<std::string> parse_rrule(std::string_view v, YearlyRule& rule) {
  bool yearly = false;
  for (std::string_view part : split(v, ';')) {
    if (part.empty()) continue;
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return "RRULE part \"" + std::string(part) + "\" has no =";
    std::string key = upper(part.substr(0, eq));
    std::string val = upper(part.substr(eq + 1));
    auto small_int = [&](int lo, int hi) -> std::optional<int> {
      std::string_view d = val;
      bool neg = !d.empty() && d[0] == '-';
      if (neg || (!d.empty() && d[0] == '+')) d.remove_prefix(1);
      if (!all_digits(d) || d.size() > 4) return std::nullopt;
      int n = neg ? -to_int(d) : to_int(d);
      if (n < lo || n > hi) return std::nullopt;
      return n;
    };
    if (key == "FREQ") {
      if (val != "YEARLY") return "RRULE FREQ=" + val + " is not supported (only FREQ=YEARLY)";
      yearly = true;
    } else if (key == "INTERVAL" || key == "COUNT") {
      auto n = small_int(1, 1000);
      if (!n) return "RRULE " + key + "=" + val + " is not a number in 1-1000";
      (key == "INTERVAL" ? rule.interval : rule.count) = *n;
    } else if (key == "UNTIL") {
      auto t = parse_ics_time(val);
      if (!t) return "RRULE UNTIL=" + val + " is not a date";
      rule.until = date::year_month_day{date::floor<date::days>(t->t)};
    } else if (key == "BYMONTH") {
      auto n = small_int(1, 12);
      if (!n) return "RRULE BYMONTH=" + val + " is not supported (one month 1-12)";
      rule.by_month = date::month{static_cast<unsigned>(*n)};
    } else if (key == "BYDAY") {
      std::string_view d = val;
      auto wd = d.size() >= 2 ? parse_weekday2(d.substr(d.size() - 2)) : std::nullopt;
      std::string_view ord = d.substr(0, d.size() >= 2 ? d.size() - 2 : 0);
      bool neg = !ord.empty() && ord[0] == '-';
      if (neg || (!ord.empty() && ord[0] == '+')) ord.remove_prefix(1);
      if (!wd || !all_digits(ord) || ord.size() > 1 || to_int(ord) < 1 || to_int(ord) > 5)
        return "RRULE BYDAY=" + val + " is not supported (one weekday with an ordinal: 4TH, -1MO)";
      rule.by_weekday = *wd;
      rule.by_weekday_nth = neg ? -to_int(ord) : to_int(ord);
    } else if (key != "WKST") {
      return "RRULE part " + key + " is not supported";
    }
  }
  if (!yearly) return "RRULE without FREQ=YEARLY is not supported";
  return std::nullopt;
}

// The occurrence of `rule` in year y, if that year has one.
std::optional<date::year_month_day> yearly_occurrence(const YearlyRule& rule,
                                                      date::year_month_day start, date::year y) {
  date::month m = rule.by_month.value_or(start.month());
  if (!rule.by_weekday) {
    date::year_month_day d = y / m / start.day();
    if (!d.ok()) return std::nullopt;  // Feb 29 in a common year
    return d;
  }
  date::sys_days d;
  if (rule.by_weekday_nth > 0) {
    auto ymwd = y / m / (*rule.by_weekday)[static_cast<unsigned>(rule.by_weekday_nth)];
    if (!ymwd.ok()) return std::nullopt;  // no 5th such weekday this month
    d = date::sys_days{ymwd};
  } else {
    d = date::sys_days{y / m / (*rule.by_weekday)[date::last]} -
        date::days{7 * (-rule.by_weekday_nth - 1)};
    if (date::year_month_day{d}.month() != m) return std::nullopt;
  }
  return date::year_month_day{d};
}

struct Event {
  int line = 0;
  std::optional<IcsTime> start;
  std::optional<IcsTime> end;
  std::optional<std::chrono::seconds> duration;
  std::optional<YearlyRule> rule;
  std::set<date::year_month_day> exdates;
};

class IcsParser {
 public:
  IcsParser(std::string name, std::string_view text) : text_(text) { cal_.name = std::move(name); }

  Result<HolidayCalendar> parse() {
    std::vector<std::string> stack;  // open components, innermost last
    bool saw_calendar = false;
    std::optional<Event> ev;
    for (auto& [number, raw] : unfold(text_)) {
      auto line = split_content_line(number, raw);
      if (!line) return fail(number, "not an iCalendar content line");
      if (line->name == "BEGIN") {
        std::string comp = upper(line->value);
        if (comp == "VCALENDAR") saw_calendar = true;
        if (comp == "VEVENT") ev = Event{number, {}, {}, {}, {}, {}};
        stack.push_back(comp);
        continue;
      }
      if (line->name == "END") {
        if (stack.empty() || stack.back() != upper(line->value))
          return fail(number, "END:" + line->value + " does not close an open component");
        if (stack.back() == "VEVENT") {
          if (auto st = add_event(*ev); !st.ok()) return st.error();
          ev.reset();
        }
        stack.pop_back();
        continue;
      }
      if (stack.empty() || stack.back() != "VEVENT") continue;
      if (auto st = event_property(*line, *ev); !st.ok()) return st.error();
    }
    if (!saw_calendar) return fail(0, "not an iCalendar file (no BEGIN:VCALENDAR)");
    if (!stack.empty()) return fail(0, "BEGIN:" + stack.back() + " is never closed");
    return std::move(cal_);
  }

 private:
  Error fail(int line, const std::string& detail) const {
    std::string where = "ics calendar \"" + cal_.name + "\"";
    if (line > 0) where += " line " + std::to_string(line);
    return Error{ErrorClass::invalid, where + ": " + detail};
  }

  Status event_property(const ContentLine& line, Event& ev) {
    const std::string& v = line.value;
    if (line.name == "DTSTART" || line.name == "DTEND") {
      auto t = parse_ics_time(v);
      if (!t)
        return fail(line.number, line.name + " \"" + v +
                                     "\" is not a date (want YYYYMMDD or YYYYMMDDTHHMMSS[Z])");
      (line.name == "DTSTART" ? ev.start : ev.end) = *t;
    } else if (line.name == "DURATION") {
      ev.duration = parse_duration(v);
      if (!ev.duration) return fail(line.number, "DURATION \"" + v + "\" is not supported");
    } else if (line.name == "RRULE") {
      YearlyRule rule;
      if (auto err = parse_rrule(v, rule)) return fail(line.number, *err);
      ev.rule = rule;
    } else if (line.name == "EXDATE") {
      for (std::string_view item : split(v, ',')) {
        auto t = parse_ics_time(item);
        if (!t) return fail(line.number, "EXDATE \"" + std::string(item) + "\" is not a date");
        ev.exdates.insert(date::year_month_day{date::floor<date::days>(t->t)});
      }
    }
    return Status::Ok();
  }

  Status add_event(const Event& ev) {
    if (!ev.start) return fail(ev.line, "VEVENT has no DTSTART");
    const date::local_days first = date::floor<date::days>(ev.start->t);
    date::local_seconds end = ev.start->t;
    if (ev.end)
      end = ev.end->t;
    else if (ev.duration)
      end = ev.start->t + *ev.duration;
    // Days touched by [start, end); an empty or missing span still marks the start day.
    date::days length = date::ceil<date::days>(end) - first;
    if (length < date::days{1}) length = date::days{1};
    if (length > date::days{366}) return fail(ev.line, "VEVENT spans more than 366 days");

    std::vector<date::year_month_day> starts;
    const date::year_month_day start_ymd{first};
    if (!ev.rule) {
      starts.push_back(start_ymd);
    } else {
      const YearlyRule& r = *ev.rule;
      int made = 0;
      for (date::year y = start_ymd.year(); y <= kIcsExpandThroughYear;
           y += date::years{r.interval}) {
        auto occ = yearly_occurrence(r, start_ymd, y);
        if (!occ || *occ < start_ymd) continue;
        if (r.until && *occ > *r.until) break;
        starts.push_back(*occ);
        if (r.count > 0 && ++made >= r.count) break;
      }
    }
    for (const date::year_month_day& s : starts) {
      if (ev.exdates.count(s)) continue;
      for (date::days i{0}; i < length; ++i)
        cal_.dates.insert(date::year_month_day{date::sys_days{s} + i});
    }
    return Status::Ok();
  }

  std::string_view text_;
  HolidayCalendar cal_;
};

}  // namespace

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
      }
      i = j;
    }
  }
  return cal;
}

Result<HolidayCalendar> parse_ics(std::string name, std::string_view text) {
  return IcsParser(std::move(name), text).parse();
}

}  // namespace hypersdk::core
