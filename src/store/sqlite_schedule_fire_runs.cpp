// The runs a fired (or buffered) occurrence starts (store/schedule_fire_runs.h): its
// PlannedFire's job, or the workflow runs or jobs an OccurrenceStart replaces it with. The
// rest of firing (overlap, occurrences, cursor, events) is in sqlite_schedule_fire.cpp.
#include "store/job_row.h"
#include "store/schedule_fire_runs.h"
#include "store/sqlite_workflow_rows.h"

namespace hypersdk::store {
using namespace detail;

namespace {

constexpr const char* kSetOccurrenceJob =
    "UPDATE schedule_occurrences SET job_id = ?1, reason = ?4"
    " WHERE schedule_id = ?2 AND nominal_fire_utc = ?3";

void set_job(Connection& c, const Occurrence& o) {
  auto& st = c.stmt(kSetOccurrenceJob);
  if (o.job_id)
    st.bind(1, static_cast<std::int64_t>(*o.job_id));
  else
    st.bind(1);
  st.bind(2, static_cast<std::int64_t>(o.schedule_id));
  st.bind(3, static_cast<std::int64_t>(o.nominal_utc));
  st.bind(4, o.reason);
  st.exec();
}

}  // namespace

// Starts what a fired (or buffered) occurrence runs: the PlannedFire's job, or what `start`
// replaces it with (workflow runs, or one job per VM), then names them in its reason.
Status detail::occurrence_start_runs(Connection& c, const PlannedFire& p,
                                     const OccurrenceStart* start, ScheduleId id, Occurrence& o,
                                     core::TimeMs now) {
  const bool buffered = o.outcome == OccurrenceOutcome::buffered;
  std::vector<std::string> runs;
  if (start && !start->workflows.empty()) {
    for (const auto& wf : start->workflows) {
      auto w = workflow_insert(c, wf, now, id, buffered);
      if (!w) return Status(w.error());
      runs.push_back(format_workflow_id(w->id));
    }
  } else {
    // The planned job as it is (no copy per fire) unless it must be told its schedule.
    const bool per_vm = start && !start->jobs.empty();
    const std::size_t n = per_vm ? start->jobs.size() : 1;
    for (std::size_t i = 0; i < n; ++i) {
      const core::JobSpec& planned = per_vm ? start->jobs[i] : p.job;
      std::optional<core::JobSpec> named;
      if (planned.schedule_id != id) {
        named = planned;
        named->schedule_id = id;
      }
      const core::JobSpec& spec = named ? *named : planned;
      auto inserted = insert_job_id(c, spec, now, buffered);
      if (!inserted) return Status(inserted.error());
      if (!o.job_id) o.job_id = *inserted;
      runs.push_back(core::format_job_id(*inserted) +
                     (start ? " (" + spec.target + ")" : std::string()));
    }
  }
  if (start) {
    o.reason = "started ";
    for (std::size_t i = 0; i < runs.size(); ++i) o.reason += (i ? ", " : "") + runs[i];
  }
  set_job(c, o);
  return Status::Ok();
}

Result<FireResult> SqliteScheduleFireRuns::fire(const FireRequest& req,
                                                const std::vector<OccurrenceStart>& starts,
                                                core::TimeMs now) {
  FireResult out;
  Status s = db_->write([&](Connection& c) { return schedule_fire_in(c, req, starts, now, out); });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
