// The runs a fired (or buffered) occurrence starts on the PostgreSQL store: its PlannedFire's
// job, or the workflow runs or jobs an OccurrenceStart replaces it with (as
// sqlite_schedule_fire_runs.cpp).
#include "store/pg/pg_schedule_fire_runs.h"

#include "store/pg/pg_job_row.h"
#include "store/pg/pg_workflow_rows.h"

namespace hypersdk::store::pg {
using namespace detail;

namespace {

constexpr const char* kSetOccurrenceJob =
    "UPDATE schedule_occurrences SET job_id = $1::bigint, reason = $4"
    " WHERE schedule_id = $2::bigint AND nominal_fire_utc = $3::bigint";

}  // namespace

Status detail::occurrence_start_runs(Tx& tx, const PlannedFire& plan, const OccurrenceStart* start,
                                     ScheduleId id, Occurrence& o, core::TimeMs now) {
  const bool buffered = o.outcome == OccurrenceOutcome::buffered;
  std::vector<std::string> runs;
  if (start && !start->workflows.empty()) {
    for (const auto& wf : start->workflows) {
      auto w = workflow_insert(tx, wf, now, id, buffered);
      if (!w) return Status(w.error());
      runs.push_back(format_workflow_id(w->id));
    }
  } else {
    const std::vector<core::JobSpec> one{plan.job};
    for (const auto& job : start && !start->jobs.empty() ? start->jobs : one) {
      core::JobSpec spec = job;
      spec.schedule_id = id;
      auto inserted = insert_job(tx, spec, now, buffered);
      if (!inserted) return Status(inserted.error());
      if (!o.job_id) o.job_id = inserted->id;
      runs.push_back(core::format_job_id(inserted->id) +
                     (start ? " (" + spec.target + ")" : std::string()));
    }
  }
  if (start) {
    o.reason = "started ";
    for (std::size_t i = 0; i < runs.size(); ++i) o.reason += (i ? ", " : "") + runs[i];
  }
  tx.exec(kSetOccurrenceJob, {p(o.job_id), p(static_cast<std::int64_t>(o.schedule_id)),
                              p(static_cast<std::int64_t>(o.nominal_utc)), p(o.reason)});
  return Status::Ok();
}

Result<FireResult> PgScheduleFireRuns::fire(const FireRequest& req,
                                            const std::vector<OccurrenceStart>& starts,
                                            core::TimeMs now) {
  FireResult out;
  Status s = db_->write([&](Tx& tx) { return schedule_fire_in(tx, req, starts, now, out); });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
