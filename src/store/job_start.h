// Jobs leased ahead (the worker pool's prefetch for short jobs) and the start of their
// attempts. A job claimed with job_claim_ahead is running under the caller's lease but its
// attempt has not started (started_at unset) until job_start records it; a rescue of a job
// whose attempt never started (job_rescue_expired, job_rescue_owners) requeues it as a release
// does, neither the attempt nor an expiry counted, so a serve killed again and again with a
// batch leased ahead never exhausts or dead-letters jobs that never ran.
//
// These are port operations kept beside the Store port rather than on it (store.h is
// included by ~150 objects): both stores implement them (sqlite_job_start.cpp,
// pg/pg_job_start.cpp); any other Store gets the fallback, job_claim (the attempt counts from
// the claim) and nothing for job_start to record.
// Thread safety: as the store's.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "store/store.h"

namespace hypersdk::store {

// job_claim's order, windows, tokens and events, with the attempts not started.
Result<std::vector<Job>> job_claim_ahead(Store& store, int max, TimeMs now,
                                         std::chrono::milliseconds ttl, const std::string& owner);
// Records that these leases' attempts start now (started_at = now), before their handlers
// run. Returns the leases no longer held (nothing recorded; the job must not run here).
Result<std::vector<JobId>> job_start(Store& store, const std::vector<Lease>& leases, TimeMs now);

}  // namespace hypersdk::store
