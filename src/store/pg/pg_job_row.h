// Mapping between the jobs table and core::Job on PostgreSQL, and the job insert every
// enqueue path shares (job_enqueue, job_enqueue_many, schedule fires, workflow steps). The
// twins of detail::read_job and detail::insert_job (store/job_row.h); the JSON helpers there
// (retry policy, window, error history) are shared as they are.
#pragma once

#include "core/job.h"
#include "store/job_row.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

// Reads row `row` of a result whose columns are HYPERSDK_JOB_COLUMNS (store/job_row.h).
core::Job read_job(const Rows& r, int row);

// Inserts a job for `spec` inside the caller's write transaction, as detail::insert_job: a job
// whose window is closed at its start time is `waiting` (waiting_for 'window') with run_at at
// the next opening; `buffered` makes it wait for its schedule's previous run (waiting_for
// 'overlap'). Does not look at the idempotency key (callers do; a duplicate is a conflict).
// Errors: invalid when the window never opens within two years.
Result<core::Job> insert_job(Tx& tx, const core::JobSpec& spec, core::TimeMs now,
                             bool buffered = false);

// The job with this idempotency key, if any. REQUIRES: inside a transaction.
std::optional<core::Job> job_by_idempotency_key(Tx& tx, const std::string& key);

}  // namespace hypersdk::store::pg
