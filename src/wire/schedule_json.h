// The JSON face of schedules, shared by the API and the CLI: parsing a create/update request
// into a ScheduleSpec, rendering schedules, occurrences, audit entries and next fire times.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cron_next.h"
#include "core/schedule.h"
#include "store/schedule_types.h"

namespace hypersdk::wire {

// Request keys (all optional for an update, which changes only the keys present):
//   "name", "cron", "timezone", "type" (a job type, or "full"/"incremental": a backup job of that
//   kind), "payload" {...}, "command" (exec argv: ["echo", "hi"], or a string split like a shell
//   would), "target", "provider", "priority", "timeout", "retry" {...} / "max_retries" (as for
//   jobs), "window" ("22:00-06:00", "" = none), "days", "holidays" (["us", ...] or "us,company"),
//   "window_close", "overlap", "catchup", "catchup_window" ("1h"), "max_catchup_runs",
//   "dst_gap", "dst_fold", "enabled".
// A create needs name and cron, and a type unless a command is given (then type is exec).
// Unknown keys are an error. Fields shared with jobs have the jobs' ranges (job_json.h);
// max_catchup_runs is 1..1000, catchup_window a duration as timeout. The result is not yet
// validated as a whole: see core::validate_schedule (ScheduleService does it).
Result<core::ScheduleSpec> parse_schedule_request(const nlohmann::json& body,
                                                  const core::ScheduleSpec& base, bool create);

// Splits a command line into words as /bin/sh would, without expansions: whitespace separates,
// 'single' and "double" quotes and backslashes escape. Errors: invalid (unterminated quote).
Result<std::vector<std::string>> split_command_line(std::string_view line);

nlohmann::json schedule_to_json(const core::Schedule& s);
nlohmann::json occurrence_to_json(const store::Occurrence& o);
nlohmann::json audit_to_json(const store::AuditEntry& a);

// One fire time: {"utc", "local" (with offset), "zone_abbrev", "nominal_local", "dst_shifted"
// (the wall time fell in a DST gap), "fold_second" (second copy of a repeated wall time),
// "repeated_hour" (the wall time happens twice that day)}.
nlohmann::json fire_to_json(const core::Fire& f, const date::time_zone* zone);

// The next `count` fires of `s` after `after` (for show/next).
std::vector<core::Fire> schedule_next_fires(const core::Schedule& s, std::chrono::sys_seconds after,
                                            std::size_t count);

}  // namespace hypersdk::wire
