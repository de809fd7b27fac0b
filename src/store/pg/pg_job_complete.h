// Shared by the PostgreSQL store's job files: the claim inside a caller's transaction, so that
// job_claim and job_complete_and_claim lease jobs the same way.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/job.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

// Promotes due retries, judges windowed jobs, then leases up to `max` queued jobs (new token
// each) and raises their job.started events; returned in claim order (priority, run_at, id).
// REQUIRES: inside a READ COMMITTED write transaction; max > 0 to claim anything.
std::vector<core::Job> pg_job_claim_in(Tx& tx, int max, core::TimeMs now,
                                       std::chrono::milliseconds ttl, const std::string& owner);

}  // namespace hypersdk::store::pg
