// Firing occurrences that start more than one plain job (DESIGN §5 "Targets": a target glob
// expanded over a provider's inventory) or workflow runs (a schedule of type "workflow", §7):
// Store::schedule_fire (store.h) with, per occurrence, what it starts. Everything an
// occurrence starts is written in the transaction that records it, so an occurrence never
// starts twice, whatever crashes; overlap is decided per occurrence, for all of its runs.
// Thread safety: as Database (one writer at a time).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/schedule_types.h"
#include "store/workflow_types.h"

namespace hypersdk::store {

// What occurrence i of a FireRequest starts instead of its PlannedFire's one job.
struct OccurrenceStart {
  std::vector<core::JobSpec> jobs;        // one per VM a target glob matched
  std::vector<WorkflowSubmit> workflows;  // a workflow schedule's runs (one per VM of a glob)
  // A PlannedFire that is not run is recorded with this outcome instead of missed (skipped:
  // the glob matched no VM).
  std::optional<OccurrenceOutcome> not_run;

  bool replaces_job() const { return !jobs.empty() || !workflows.empty(); }
};

// The port; SqliteScheduleFireRuns (below) and pg::PgScheduleFireRuns
// (store/pg/pg_schedule_fire_runs.h) implement it.
class ScheduleFireRuns {
 public:
  virtual ~ScheduleFireRuns() = default;
  // Store::schedule_fire, with `starts` index-aligned with req.occurrences (missing entries or
  // ones that replace nothing fire the PlannedFire's job). A fired or buffered occurrence that
  // started runs this way names them in its reason ("started w-3, w-4"); its job_id is the
  // first job it started, if any.
  virtual Result<FireResult> fire(const FireRequest& req,
                                  const std::vector<OccurrenceStart>& starts, core::TimeMs now) = 0;
};

class SqliteScheduleFireRuns final : public ScheduleFireRuns {
 public:
  explicit SqliteScheduleFireRuns(std::shared_ptr<Database> db) : db_(std::move(db)) {}
  Result<FireResult> fire(const FireRequest& req, const std::vector<OccurrenceStart>& starts,
                          core::TimeMs now) override;

 private:
  std::shared_ptr<Database> db_;
};

namespace detail {
// Both entry points inside the caller's write transaction; `out` is reset first.
Status schedule_fire_in(Connection& c, const FireRequest& req,
                        const std::vector<OccurrenceStart>& starts, core::TimeMs now,
                        FireResult& out);
// Inside schedule_fire_in: starts what the fired or buffered occurrence `o` runs (`start` null:
// the PlannedFire's job) and records its job and, when `start` replaced it, "started ..." as
// its reason.
Status occurrence_start_runs(Connection& c, const PlannedFire& p, const OccurrenceStart* start,
                             ScheduleId id, Occurrence& o, core::TimeMs now);
}  // namespace detail

}  // namespace hypersdk::store
