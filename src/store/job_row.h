// Mapping between the jobs table and core::Job. Internal to the SQLite store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store::detail {

// The column list every job SELECT/RETURNING uses; read back with read_job().
#define HYPERSDK_JOB_COLUMNS                                                              \
  "id, type, status, priority, payload, labels, target, provider, attempt, max_retries, " \
  "retry_policy, timeout_ms, run_at, created_at, started_at, finished_at, lease_owner, "  \
  "lease_token, cancel_requested, error_class, error_message, errors, result, "           \
  "idempotency_key, schedule_id, window_policy"

// A stored value that cannot be read falls back to a default, logged and counted
// (unreadable_stored_values()).
core::Job read_job(SQLite::Statement& st);
// `row` names the row for the log ("j-42", "schedule nightly"); may be empty.
void note_unreadable(const char* column, std::string_view value, const std::string& row);

// The attempts' errors as stored in jobs.errors (a JSON array; anything else reads as none).
std::vector<core::ErrorRecord> parse_errors(const std::string& text);
std::string retry_policy_to_json(const core::RetryPolicy& p);
core::RetryPolicy retry_policy_from_json(const std::string& text, int max_retries);

// A job's time window as stored in jobs.window_policy: {"timezone", "window" ("HH:MM-HH:MM" or
// null), "days", "holidays": {name: [YYYY-MM-DD, ...]}, "close"}.
std::string window_to_json(const core::JobWindow& w);
std::optional<core::JobWindow> window_from_json(const std::string& text);

// A window with no opening ahead is looked at again this much later.
inline constexpr core::TimeMs kWindowRecheckMs = 24 * 3600 * 1000;
// When a failed attempt's retry runs (both stores): at `backoff_at`, or, when that falls
// outside the job's window, at the window's next opening, waiting for it (DESIGN §6).
struct RetryTime {
  core::TimeMs at = 0;
  bool waits_for_window = false;
};
RetryTime retry_time(const std::optional<core::JobWindow>& window, core::TimeMs backoff_at);

// Inserts a job for `spec` inside the caller's write transaction. A job whose window is closed
// at its start time is `waiting` (waiting_for 'window') with run_at at the next opening;
// `buffered` makes it wait for its schedule's previous run (waiting_for 'overlap').
// Errors: invalid when the window never opens within two years.
Result<core::Job> insert_job(Connection& c, const core::JobSpec& spec, core::TimeMs now,
                             bool buffered = false);
// insert_job answering only the new job's id: no read-back of the row (a schedule's fire).
Result<core::JobId> insert_job_id(Connection& c, const core::JobSpec& spec, core::TimeMs now,
                                  bool buffered = false);

// Decides the dependents of a workflow step that has just finished (succeeded, failed for
// good, cancelled, upstream_failed) and ends the workflow when every step has finished; a
// job outside any workflow is left alone (sqlite_workflows.cpp).
// REQUIRES: inside the write transaction that finished the step.
Status workflow_step_finished(Connection& c, core::JobId id, core::TimeMs now);

// Appends one record to the JSON error history text.
std::string append_error(const std::string& history, int attempt, core::TimeMs at,
                         const Error& error);

}  // namespace hypersdk::store::detail
