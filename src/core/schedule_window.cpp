#include "core/schedule_window.h"

#include <algorithm>

#include "core/cron_next.h"

namespace hypersdk::core {

std::string_view to_string(WindowClose c) {
  return c == WindowClose::cancel ? "cancel" : "let_finish";
}

Result<WindowClose> parse_window_close(std::string_view s) {
  if (s == "let_finish" || s.empty()) return WindowClose::let_finish;
  if (s == "cancel") return WindowClose::cancel;
  return make_error(ErrorClass::invalid, "window close policy \"" + std::string(s) +
                                             "\": expected let_finish or cancel");
}

bool JobWindow::restricts() const {
  return window.has_value() || !days.all() ||
         std::any_of(holidays.begin(), holidays.end(),
                     [](const HolidayCalendar& c) { return !c.dates.empty(); }) ||
         !holiday_names.empty();
}

Result<JobWindow> make_job_window(std::string_view timezone, std::string_view window,
                                  std::string_view days,
                                  const std::vector<std::string>& holiday_names,
                                  std::string_view close) {
  JobWindow w;
  w.timezone = timezone.empty() ? "UTC" : std::string(timezone);
  auto zone = find_zone(w.timezone);
  if (!zone) return zone.error();
  if (!window.empty()) {
    auto tw = parse_window(window);
    if (!tw) return tw.error();
    w.window = *tw;
  }
  if (!days.empty()) {
    auto d = parse_days(days);
    if (!d) return d.error();
    w.days = *d;
  }
  for (const auto& name : holiday_names) {
    if (name.empty()) return make_error(ErrorClass::invalid, "empty holiday calendar name");
    if (std::find(w.holiday_names.begin(), w.holiday_names.end(), name) == w.holiday_names.end())
      w.holiday_names.push_back(name);
  }
  auto c = parse_window_close(close);
  if (!c) return c.error();
  w.close = *c;
  return w;
}

Status resolve_holidays(JobWindow& w, const HolidayCalendars& calendars,
                        std::chrono::sys_seconds from) {
  w.holidays.clear();
  const auto first = date::year_month_day{date::floor<date::days>(from) - date::days{2}};
  const auto last =
      date::year_month_day{date::floor<date::days>(from) + kWindowSearchHorizon + date::days{2}};
  for (const auto& name : w.holiday_names) {
    auto it = calendars.find(name);
    if (it == calendars.end()) {
      std::string known;
      for (const auto& [n, cal] : calendars) known += (known.empty() ? "" : ", ") + n;
      return make_error(ErrorClass::invalid,
                        "unknown holiday calendar \"" + name + "\" (" +
                            (known.empty() ? std::string("none is configured: add it under "
                                                         "holidays: in the config")
                                           : "configured: " + known) +
                            ")");
    }
    HolidayCalendar cal;
    cal.name = name;
    for (auto d = it->second.dates.lower_bound(first); d != it->second.dates.end() && *d <= last;
         ++d)
      cal.dates.insert(*d);
    w.holidays.push_back(std::move(cal));
  }
  return Status::Ok();
}

WindowPolicy to_policy(const JobWindow& w) {
  WindowPolicy p;
  p.window = w.window;
  p.days = w.days;
  p.holidays = w.holidays;
  auto zone = find_zone(w.timezone);
  p.zone = zone ? *zone : nullptr;
  return p;
}

std::optional<std::int64_t> window_start_at(const JobWindow& w, std::int64_t t_ms) {
  using std::chrono::milliseconds;
  const WindowPolicy p = to_policy(w);
  // Whole seconds: round up so that a start is never before t.
  const auto t = date::ceil<std::chrono::seconds>(date::sys_time<milliseconds>(milliseconds(t_ms)));
  if (is_open(p, t)) return t_ms;
  auto open = next_open(p, t);
  if (!open) return std::nullopt;
  return std::chrono::duration_cast<milliseconds>(open->time_since_epoch()).count();
}

}  // namespace hypersdk::core
