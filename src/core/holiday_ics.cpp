// The iCalendar reader of holiday calendars (contract in holiday.h): unfolding, content
// lines, DATE/DATE-TIME values, DURATION, yearly RRULEs and EXDATE.
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "core/holiday_text.h"

namespace hypersdk::core {
namespace {
using namespace holiday_detail;

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
  IcsParser(std::string name, std::string_view text, IcsOptions options)
      : text_(text), options_(options) {
    cal_.name = std::move(name);
  }

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
        if (comp == "VEVENT") {
          // RFC 5545 does not nest VEVENTs; accepting it would mix two events' properties.
          if (ev) return fail(number, "BEGIN:VEVENT inside another VEVENT");
          ev = Event{number, {}, {}, {}, {}, {}};
        }
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
      date::year y = start_ymd.year();
      // Without COUNT the years before the range cannot matter: jump to the first year of the
      // rule's period at or after from_year. With COUNT they use up occurrences, so they are
      // walked (at most through_year - start years, cheap date arithmetic each).
      if (r.count == 0 && y < options_.from_year) {
        const int periods =
            (static_cast<int>(options_.from_year) - static_cast<int>(y) + r.interval - 1) /
            r.interval;
        y += date::years{periods * r.interval};
      }
      int made = 0;
      for (; y <= options_.through_year; y += date::years{r.interval}) {
        if (++expansion_steps_ > kMaxIcsExpansionSteps)
          return fail(ev.line, "recurrences need more than " +
                                   std::to_string(kMaxIcsExpansionSteps) +
                                   " yearly steps to expand (COUNT rules starting centuries ago?)");
        auto occ = yearly_occurrence(r, start_ymd, y);
        if (!occ || *occ < start_ymd) continue;
        if (r.until && *occ > *r.until) break;
        if (y >= options_.from_year) starts.push_back(*occ);
        if (r.count > 0 && ++made >= r.count) break;
      }
    }
    for (const date::year_month_day& s : starts) {
      if (ev.exdates.count(s)) continue;
      for (date::days i{0}; i < length; ++i)
        cal_.dates.insert(date::year_month_day{date::sys_days{s} + i});
      if (cal_.dates.size() > kMaxHolidayDates) return fail(ev.line, too_many_dates());
    }
    return Status::Ok();
  }

  std::string_view text_;
  const IcsOptions options_;
  HolidayCalendar cal_;
  long expansion_steps_ = 0;  // years walked by all RRULEs so far
};

}  // namespace

Result<HolidayCalendar> parse_ics(std::string name, std::string_view text, IcsOptions options) {
  return IcsParser(std::move(name), text, options).parse();
}

}  // namespace hypersdk::core
