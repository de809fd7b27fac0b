// The job a schedule enqueues: its spec from the schedule's definition, labels that tie it to
// the schedule and occurrence, an idempotency key per occurrence, and the schedule's window
// with holiday names resolved to dates from the configured calendars.
// Thread safety: pure functions of their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cron_next.h"
#include "core/job.h"
#include "core/schedule.h"

namespace hypersdk::engine {

struct ScheduledJob {
  core::JobSpec spec;
  // Holiday calendars the schedule names that the config does not define; the job was built
  // without them (running on a holiday beats silently missing a backup) and the caller warns.
  std::vector<std::string> unknown_calendars;
};

// `trigger`: "cron", "manual" or "emergency". `occurrence`: the fire this run is for (cron).
ScheduledJob job_for_schedule(const core::Schedule& s, const core::HolidayCalendars& calendars,
                              core::TimeMs now, std::string_view trigger,
                              const std::optional<core::Fire>& occurrence = std::nullopt);

// "2025-03-09T02:30:00" for a local wall time.
std::string format_local(date::local_seconds t);

}  // namespace hypersdk::engine
