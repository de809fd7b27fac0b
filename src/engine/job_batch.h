// Bulk submit: the admission checks of JobService::submit for each spec, then one enqueue of
// the admitted ones in one transaction (Store::job_enqueue_many).
// Thread safety: as JobService.
#pragma once

#include <vector>

#include "engine/job_service.h"

namespace hypersdk::engine {

// One answer per spec, in order: its job, its admission error, or the store's error (then no
// job of the batch was queued). On a store other than SQLite (a test's) the admitted specs
// are enqueued one by one.
std::vector<Result<core::Job>> submit_many(JobService& jobs,
                                           const std::vector<core::JobSpec>& specs);

}  // namespace hypersdk::engine
