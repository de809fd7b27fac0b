#include "engine/schedule_jobs.h"

#include <nlohmann/json.hpp>

#include "core/time_text.h"

namespace hypersdk::engine {
using nlohmann::json;

std::string format_local(date::local_seconds t) {
  return date::format("%FT%T", t);
}

ScheduledJob job_for_schedule(const core::Schedule& s, const core::HolidayCalendars& calendars,
                              core::TimeMs now, std::string_view trigger,
                              const std::optional<core::Fire>& occurrence) {
  ScheduledJob out;
  core::JobSpec& j = out.spec;
  const core::ScheduleSpec& p = s.spec;
  j.type = p.job_type;
  j.payload = p.payload;
  j.target = p.target;
  j.provider = p.provider;
  j.priority = p.priority;
  j.retry = p.retry;
  j.timeout_ms = p.timeout_ms;
  j.schedule_id = s.id;
  json labels{{"schedule", p.name}, {"trigger", std::string(trigger)}};
  if (occurrence) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(occurrence->utc.time_since_epoch())
            .count();
    labels["nominal_fire"] = core::format_time(ms);
    labels["nominal_local"] = format_local(occurrence->nominal_local);
    j.idempotency_key = "schedule:" + std::to_string(s.id) + ":" + std::to_string(ms);
  }
  j.labels = labels.dump();

  auto w = core::make_job_window(p.timezone, p.window, p.days, {}, core::to_string(p.window_close));
  if (!w) return out;  // validated on the way in; an unreadable row runs unrestricted
  for (const auto& name : p.holidays) {
    if (calendars.count(name))
      w->holiday_names.push_back(name);
    else
      out.unknown_calendars.push_back(name);
  }
  const auto from = date::floor<std::chrono::seconds>(
      date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now)));
  if (core::resolve_holidays(*w, calendars, from).ok() && w->restricts()) j.window = std::move(*w);
  return out;
}

}  // namespace hypersdk::engine
