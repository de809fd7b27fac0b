// Domain values of the store port's schedule operations (store.h): occurrences, the
// scheduler's fire requests, manual runs, the audit log, events and the window sweep.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/schedule.h"

namespace hypersdk::store {

using core::Schedule;
using core::ScheduleId;
using core::ScheduleSpec;

// One page of `schedule list`: by name, after the cursor, with optional filters.
struct ScheduleFilter {
  std::string name_glob;       // SQLite GLOB over the name (`nightly-*`); empty = any
  std::optional<bool> paused;  // nullopt = paused or not
  std::string provider;        // empty = any
  std::string after;           // cursor: only names sorting after this one; empty = from the start
  int limit = 50;              // 1..1000
};

enum class OccurrenceOutcome { fired, buffered, skipped, missed };
std::string_view to_string(OccurrenceOutcome o);  // "fired" | "buffered" | "skipped" | "missed"

struct Occurrence {
  ScheduleId schedule_id = 0;
  core::TimeMs nominal_utc = 0;
  std::string nominal_local;  // the wall time the cron named: "2025-03-09T02:30:00"
  bool dst_shifted = false;
  bool fold_second = false;
  OccurrenceOutcome outcome = OccurrenceOutcome::fired;
  std::string reason;  // why it did not run (core::missed_reason); empty when fired
  std::optional<core::JobId> job_id;
  core::TimeMs recorded_at = 0;
};

// One occurrence the scheduler decided on.
struct PlannedFire {
  core::TimeMs nominal_utc = 0;
  std::string nominal_local;
  bool dst_shifted = false;
  bool fold_second = false;
  bool run = false;
  std::string reason;  // when !run: the catch-up reason it is missed for
  core::JobSpec job;   // when run: the job to enqueue (overlap rules permitting)
};

struct FireRequest {
  ScheduleId schedule_id = 0;
  // The cursor and version the plan was made from; when the stored ones differ (another
  // scheduler advanced it, or the schedule was changed), nothing is written: `stale`.
  core::TimeMs expected_cursor = 0;
  std::int64_t expected_version = 0;
  std::vector<PlannedFire> occurrences;  // increasing nominal_utc
  core::TimeMs new_cursor = 0;
};

struct FireResult {
  bool stale = false;
  std::vector<Occurrence>
      recorded;        // what this call recorded; occurrences already there are left out
  int duplicates = 0;  // occurrences another scheduler had recorded
  std::vector<core::JobId> cancelled;  // cancel_other: runs cancelled or asked to stop
};

// A run outside the cron: `schedule run`. With emergency, windows, holidays and overlap are
// bypassed and the run is written to the audit log (actor, reason) in the same transaction.
struct RunRequest {
  std::string name;
  core::JobSpec job;
  bool emergency = false;
  std::string actor;
  std::string reason;
};

struct AuditEntry {
  std::int64_t id = 0;
  core::TimeMs at = 0;
  std::string actor;
  std::string action;   // "schedule.emergency_run"
  std::string subject;  // schedule name
  std::string reason;
  std::optional<core::JobId> job_id;
  std::string details = "{}";  // JSON object
};

struct Event {
  std::int64_t id = 0;
  std::string kind;      // "schedule.missed"
  std::string severity;  // "warning"
  std::string subject;   // schedule name
  std::string payload;   // JSON object
  core::TimeMs created_at = 0;
};

// What job_window_sweep did.
struct WindowSweep {
  std::vector<core::JobId> cancel_requested;  // running past a window close with close=cancel
  std::vector<core::JobId> rewaited;          // queued but the window closed before a claim
  std::vector<core::JobId> released;          // buffered runs whose previous run finished
};

}  // namespace hypersdk::store
