// The job.started|completed|failed|cancelled events (DESIGN §8), in the spec's payload shape,
// written by the transaction that changes the job's state. Internal to the SQLite store.
#pragma once

#include <string_view>

#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store::detail {

struct JobEventFacts {
  bool retries_exhausted = false;  // job.failed: the retry budget is spent
  bool final = true;               // job.failed: no further attempt (false: retrying)
};

// Raises `kind` for job `id` as it is now in this transaction: {"event", "timestamp",
// "job": {id, type, provider, vm_name, status, attempt, duration_seconds, output_size_bytes,
// output_format, labels}, "error"?, "retries_exhausted"?, "final"?, "schedule"?, "workflow"?,
// "step"?}. Severity: job.failed final = critical, retrying = warning; job.cancelled =
// warning; others info. REQUIRES: inside the write transaction of the change.
void job_event(Connection& c, core::JobId id, std::string_view kind, core::TimeMs now,
               JobEventFacts facts = {});

}  // namespace hypersdk::store::detail
