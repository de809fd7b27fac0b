// Outcome counts of finished jobs for the dashboard's success rates (issue 16), read straight
// from the SQLite database like workflow_stats.h: not part of the store port, which holds what
// clients may do.
// Thread safety: safe from any thread (Database is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store {

// Jobs of one type and schedule (none: submitted by hand) that finished in the window.
struct OutcomeCount {
  std::string type;
  std::optional<std::int64_t> schedule_id;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
};

// Finished jobs with finished_at >= since, by (type, schedule_id); one short read over the
// jobs_finished index. Pruned jobs are no longer counted (retention bounds the window).
Result<std::vector<OutcomeCount>> job_outcome_counts(Database& db, core::TimeMs since);

// The run_at of the queued job due longest (run_at <= now), or nullopt when none is due; for
// hypersdk_queue_oldest_age_seconds. One read over the queued jobs (jobs_claimable).
Result<std::optional<core::TimeMs>> job_oldest_due(Database& db, core::TimeMs now);

// The id of the newest stored event (0 with none): where a new live feed starts.
Result<std::int64_t> event_last_id(Database& db);

}  // namespace hypersdk::store
