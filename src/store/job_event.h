// The job.started|completed|failed|cancelled events (DESIGN §8), in the spec's payload shape,
// written by the transaction that changes the job's state. Internal to the SQLite store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store::detail {

struct JobEventFacts {
  bool retries_exhausted = false;  // job.failed: the retry budget is spent
  bool final = true;               // job.failed: no further attempt (false: retrying)
};

// The columns of a job (and the names of its schedule and workflow) an event reports.
struct JobEventRow {
  std::string type, status, target, provider, labels, error_class, error_message, result;
  int attempt = 0;
  std::optional<core::TimeMs> started_at, finished_at;
  std::optional<std::string> schedule, workflow, step;
};

// The event's severity and payload (JSON text) for `row`: shared by both stores.
std::pair<std::string, std::string> job_event_payload(core::JobId id, std::string_view kind,
                                                      core::TimeMs now, const JobEventRow& row,
                                                      JobEventFacts facts);

// Raises `kind` for job `id` as it is now in this transaction: {"event", "timestamp",
// "job": {id, type, provider, vm_name, status, attempt, duration_seconds, output_size_bytes,
// output_format, labels}, "error"?, "retries_exhausted"?, "final"?, "schedule"?, "workflow"?,
// "step"?}. Severity: job.failed final = critical, retrying = warning; job.cancelled =
// warning; others info. REQUIRES: inside the write transaction of the change.
void job_event(Connection& c, core::JobId id, std::string_view kind, core::TimeMs now,
               JobEventFacts facts = {});

}  // namespace hypersdk::store::detail
