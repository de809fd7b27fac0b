// The workflow hooks the PostgreSQL jobs half calls inside its own transactions; defined by
// the workflows half (pg_workflow_advance.cpp; pg_pending.cpp until then). The PostgreSQL
// twins of detail::workflow_step_finished and detail::workflow_prune_in (store/job_row.h,
// store/sqlite_workflow_rows.h).
// REQUIRES for both: inside the caller's write transaction (SERIALIZABLE).
#pragma once

#include <optional>

#include "core/job.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

// Decides the dependents of a workflow step that has just finished (succeeded, failed for
// good, cancelled, upstream_failed) and ends the workflow when every step has finished; a
// job outside any workflow is left alone. Called by job_complete, job_cancel, the rescues and
// the releases for each job they finish.
Status pg_workflow_on_step_finished(Tx& tx, core::JobId id, core::TimeMs now);

// Deletes finished workflows (none of their steps dead-lettered) with all their steps: those
// finished before `before`, and those beyond the newest `keep`. One batch; returns the rows
// deleted (steps and workflows), 0 when there was nothing to prune. Called by job_prune.
int pg_workflow_prune_in(Tx& tx, std::optional<core::TimeMs> before, std::optional<int> keep);

// Resumes workflow `wf` from its failed, cancelled and upstream_failed steps, as
// detail::workflow_retry_in: job_retry of a step calls it. Errors: not_found, conflict.
Status pg_workflow_retry_in(Tx& tx, std::int64_t wf, core::TimeMs now);

}  // namespace hypersdk::store::pg
