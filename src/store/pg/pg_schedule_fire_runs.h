// Firing occurrences that start more than one plain job or workflow runs on the PostgreSQL
// store: the twin of store/schedule_fire_runs.h (same OccurrenceStart, same contract), over a
// PgDatabase. Several nodes may fire the same schedule: each fire is one SERIALIZABLE
// transaction that checks the cursor and version it planned from (stale: nothing written) and
// records occurrences with INSERT ... ON CONFLICT DO NOTHING on (schedule, nominal time), so
// an occurrence is recorded, and its runs started, once across all nodes.
// Thread safety: as PgDatabase.
#pragma once

#include <memory>
#include <vector>

#include "store/pg/pg_database.h"
#include "store/schedule_fire_runs.h"

namespace hypersdk::store::pg {

class PgScheduleFireRuns final : public ScheduleFireRuns {
 public:
  explicit PgScheduleFireRuns(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {}

  Result<FireResult> fire(const FireRequest& req, const std::vector<OccurrenceStart>& starts,
                          core::TimeMs now) override;

 private:
  std::shared_ptr<PgDatabase> db_;
};

namespace detail {
// Both inside the caller's SERIALIZABLE write transaction; `out` is reset first (the
// transaction may run again after a serialization failure).
Status schedule_fire_in(Tx& tx, const FireRequest& req, const std::vector<OccurrenceStart>& starts,
                        core::TimeMs now, FireResult& out);
Status occurrence_start_runs(Tx& tx, const PlannedFire& plan, const OccurrenceStart* start,
                             ScheduleId id, Occurrence& o, core::TimeMs now);
// cancel_other: cancels the schedule's runs that have not started, asks running ones to stop
// and ends its running workflows once their steps have; returns the jobs, ascending.
Result<std::vector<core::JobId>> cancel_runs(Tx& tx, ScheduleId id, const std::string& name,
                                             core::TimeMs now);
}  // namespace detail

}  // namespace hypersdk::store::pg
