// Mapping between the schedules/schedule_occurrences tables and their domain values. Internal
// to the SQLite store.
#pragma once

#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/schedule_types.h"

namespace hypersdk::store::detail {

// The column list every schedule SELECT/RETURNING uses; read back with read_schedule().
#define HYPERSDK_SCHEDULE_COLUMNS                                                           \
  "id, name, cron, timezone, job_type, payload, target, provider, priority, max_retries, "  \
  "retry_policy, timeout_ms, time_window, days, holidays, window_close, overlap, catchup, " \
  "catchup_window_ms, max_catchup_runs, dst_gap, dst_fold, enabled, paused, cursor_ms, "    \
  "version, created_at, updated_at"

// The spec's columns in the order of HYPERSDK_SCHEDULE_COLUMNS from `name` to `enabled`
// (22 of them), for INSERT and UPDATE statements that bind them as ?1..?22.
#define HYPERSDK_SCHEDULE_SPEC_COLUMNS                                                      \
  "name, cron, timezone, job_type, payload, target, provider, priority, max_retries, "      \
  "retry_policy, timeout_ms, time_window, days, holidays, window_close, overlap, catchup, " \
  "catchup_window_ms, max_catchup_runs, dst_gap, dst_fold, enabled"
inline constexpr int kScheduleSpecColumns = 22;

Schedule read_schedule(SQLite::Statement& st);

// What planning fires needs (Store::schedule_list_timing), read back with
// read_schedule_timing(): no payload, no retry policy, so no JSON but a non-empty holiday list.
#define HYPERSDK_SCHEDULE_TIMING_COLUMNS                                                     \
  "id, name, cron, timezone, time_window, days, holidays, window_close, dst_gap, dst_fold, " \
  "enabled, paused, cursor_ms, version"
Schedule read_schedule_timing(SQLite::Statement& st);
// Binds the spec as parameters 1..kScheduleSpecColumns.
void bind_schedule_spec(SQLite::Statement& st, const ScheduleSpec& spec);

#define HYPERSDK_OCCURRENCE_COLUMNS                                                   \
  "schedule_id, nominal_fire_utc, nominal_local, dst_shifted, fold_second, outcome, " \
  "reason, job_id, recorded_at"

Occurrence read_occurrence(SQLite::Statement& st);

}  // namespace hypersdk::store::detail
