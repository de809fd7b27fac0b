// Firing schedules in the PostgreSQL store (as sqlite_schedule_fire.cpp): occurrences with
// their overlap decisions and jobs, the cursor and schedule.missed events in one SERIALIZABLE
// transaction, and manual and emergency runs. Two nodes firing the same occurrence: the
// second's cursor check finds the first's commit (stale, or a serialization failure that
// PgDatabase retries into stale), and ON CONFLICT DO NOTHING on (schedule_id,
// nominal_fire_utc) keeps an occurrence planned from another cursor from being recorded twice.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/schedule_rules.h"
#include "store/pg/pg_event_row.h"
#include "store/pg/pg_job_row.h"
#include "store/pg/pg_schedule_fire_runs.h"
#include "store/pg/pg_store.h"
#include "store/pg/pg_workflow_rows.h"
#include "store/schedule_events.h"
#include "store/schedule_row.h"

namespace hypersdk::store::pg {
using namespace detail;
using nlohmann::json;

namespace {

constexpr const char* kScheduleState =
    "SELECT cursor_ms, version, name, overlap FROM schedules WHERE id = $1::bigint";
constexpr const char* kScheduleByNameForRun = "SELECT id, overlap FROM schedules WHERE name = $1";
// As the SQLite store's kRunCounts (see there why steps waiting for upstreams are left out).
constexpr const char* kRunCounts =
    "SELECT count(*) FILTER (WHERE NOT (status = 'waiting'"
    " AND waiting_for IS NOT DISTINCT FROM 'overlap')),"
    " count(*) FILTER (WHERE status = 'waiting' AND waiting_for IS NOT DISTINCT FROM 'overlap'),"
    " min(id) FROM jobs WHERE schedule_id = $1::bigint"
    " AND status IN ('waiting', 'queued', 'running', 'retrying')"
    " AND waiting_for IS DISTINCT FROM 'upstream'";
constexpr const char* kInsertOccurrence =
    "INSERT INTO schedule_occurrences (" HYPERSDK_OCCURRENCE_COLUMNS
    ") VALUES ($1::bigint, $2::bigint, $3, $4::bigint, $5::bigint, $6, $7, NULL, $8::bigint)"
    " ON CONFLICT (schedule_id, nominal_fire_utc) DO NOTHING";
constexpr const char* kScheduleRunningWorkflows =
    "SELECT id FROM workflows WHERE schedule_id = $1::bigint AND status = 'running' ORDER BY id";
constexpr const char* kRequestWorkflowCancel =
    "UPDATE workflows SET cancel_requested = 1, updated_at = $1::bigint WHERE id = $2::bigint";
constexpr const char* kAdvanceCursor =
    "UPDATE schedules SET cursor_ms = $1::bigint WHERE id = $2::bigint";
constexpr const char* kCancelPendingRuns =
    "UPDATE jobs SET status = 'cancelled', finished_at = $1::bigint, error_class = 'cancelled',"
    " error_message = $2, waiting_for = NULL"
    " WHERE schedule_id = $3::bigint AND status IN ('waiting', 'queued', 'retrying')"
    " RETURNING id";
constexpr const char* kCancelRunningRuns =
    "UPDATE jobs SET cancel_requested = 1 WHERE schedule_id = $1::bigint AND status = 'running'"
    " RETURNING id";
constexpr const char* kInsertAudit =
    "INSERT INTO audit_log (at, actor, action, subject, reason, job_id, details)"
    " VALUES ($1::bigint, $2, $3, $4, $5, $6::bigint, $7)";

struct RunCounts {
  int active = 0;
  int buffered = 0;
  std::optional<JobId> oldest;
};

RunCounts run_counts(Tx& tx, ScheduleId id) {
  Rows r = tx.exec(kRunCounts, {p(static_cast<std::int64_t>(id))});
  RunCounts out;
  if (!r.empty()) {
    out.active = static_cast<int>(r.i64(0, 0));
    out.buffered = static_cast<int>(r.i64(0, 1));
    out.oldest = r.opt_i64(0, 2);
  }
  return out;
}

// Inserts the occurrence unless one exists for (schedule, nominal time). Returns whether it did.
bool record(Tx& tx, const Occurrence& o) {
  return tx.exec(kInsertOccurrence,
                 {p(static_cast<std::int64_t>(o.schedule_id)),
                  p(static_cast<std::int64_t>(o.nominal_utc)), p(o.nominal_local), p(o.dst_shifted),
                  p(o.fold_second), p(std::string(to_string(o.outcome))), p(o.reason),
                  p(static_cast<std::int64_t>(o.recorded_at))})
             .affected() > 0;
}

// One schedule.missed event per reason.
void raise_missed_events(Tx& tx, ScheduleId id, const std::string& name,
                         const std::vector<Occurrence>& recorded, TimeMs now) {
  for (const auto& payload : store::detail::missed_event_payloads(id, name, recorded))
    pg_event_insert(tx, "schedule.missed", "warning", name, payload, now);
}

std::vector<JobId> ids_of(const Rows& r) {
  std::vector<JobId> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.i64(i, 0));
  return out;
}

}  // namespace

Result<std::vector<JobId>> detail::cancel_runs(Tx& tx, ScheduleId id, const std::string& name,
                                               TimeMs now) {
  // RETURNING has no order in PostgreSQL: sorted, the answer is the SQLite store's (rowid order).
  std::vector<JobId> out = ids_of(
      tx.exec(kCancelPendingRuns,
              {p(static_cast<std::int64_t>(now)),
               p("cancelled: superseded by a newer run of schedule " + name + " (cancel_other)"),
               p(static_cast<std::int64_t>(id))}));
  std::sort(out.begin(), out.end());
  std::vector<JobId> running =
      ids_of(tx.exec(kCancelRunningRuns, {p(static_cast<std::int64_t>(id))}));
  std::sort(running.begin(), running.end());
  out.insert(out.end(), running.begin(), running.end());
  for (WorkflowId wf :
       ids_of(tx.exec(kScheduleRunningWorkflows, {p(static_cast<std::int64_t>(id))}))) {
    tx.exec(kRequestWorkflowCancel,
            {p(static_cast<std::int64_t>(now)), p(static_cast<std::int64_t>(wf))});
    if (Status s = workflow_maybe_end(tx, wf, now); !s.ok()) return s.error();
  }
  return out;
}

Result<FireResult> PgStore::schedule_fire(const FireRequest& req, TimeMs now) {
  FireResult out;
  Status s = db_->write([&](Tx& tx) { return schedule_fire_in(tx, req, {}, now, out); });
  if (!s.ok()) return s.error();
  return out;
}

Status detail::schedule_fire_in(Tx& tx, const FireRequest& req,
                                const std::vector<OccurrenceStart>& starts, TimeMs now,
                                FireResult& out) {
  out = FireResult{};
  std::string name;
  core::OverlapPolicy overlap = core::OverlapPolicy::skip;
  {
    Rows st = tx.exec(kScheduleState, {p(static_cast<std::int64_t>(req.schedule_id))});
    if (st.empty() || st.i64(0, 0) != req.expected_cursor || st.i64(0, 1) != req.expected_version) {
      out.stale = true;
      return Status::Ok();
    }
    name = st.text(0, 2);
    if (auto o = core::parse_overlap_policy(st.text(0, 3))) overlap = *o;
  }
  // Runs of this batch are judged against the runs active before it (schedule_rules.h).
  const RunCounts before = run_counts(tx, req.schedule_id);
  int buffered = before.buffered;
  bool cancelled_others = false;
  for (std::size_t i = 0; i < req.occurrences.size(); ++i) {
    const PlannedFire& plan = req.occurrences[i];
    const OccurrenceStart* start = i < starts.size() ? &starts[i] : nullptr;
    Occurrence o;
    o.schedule_id = req.schedule_id;
    o.nominal_utc = plan.nominal_utc;
    o.nominal_local = plan.nominal_local;
    o.dst_shifted = plan.dst_shifted;
    o.fold_second = plan.fold_second;
    o.recorded_at = now;
    if (!plan.run) {
      o.outcome = start && start->not_run ? *start->not_run : OccurrenceOutcome::missed;
      o.reason = plan.reason;
      if (record(tx, o))
        out.recorded.push_back(std::move(o));
      else
        ++out.duplicates;
      continue;
    }
    const auto d = core::decide_overlap(overlap, before.active, buffered);
    switch (d.action) {
      case core::OverlapAction::skip:
        o.outcome = OccurrenceOutcome::skipped;
        o.reason = std::string(d.reason);
        break;
      case core::OverlapAction::buffer:
        o.outcome = OccurrenceOutcome::buffered;
        break;
      case core::OverlapAction::cancel_others_and_fire:
      case core::OverlapAction::fire:
        o.outcome = OccurrenceOutcome::fired;
        break;
    }
    if (!record(tx, o)) {
      ++out.duplicates;
      continue;
    }
    if (d.action == core::OverlapAction::cancel_others_and_fire && !cancelled_others) {
      auto cancelled = cancel_runs(tx, req.schedule_id, name, now);
      if (!cancelled) return Status(cancelled.error());
      out.cancelled = std::move(*cancelled);
      cancelled_others = true;
    }
    if (o.outcome == OccurrenceOutcome::fired || o.outcome == OccurrenceOutcome::buffered) {
      if (Status st = occurrence_start_runs(
              tx, plan, start && start->replaces_job() ? start : nullptr, req.schedule_id, o, now);
          !st.ok())
        return st;
      if (o.outcome == OccurrenceOutcome::buffered) ++buffered;
    }
    out.recorded.push_back(std::move(o));
  }
  tx.exec(kAdvanceCursor,
          {p(static_cast<std::int64_t>(std::max(req.new_cursor, req.expected_cursor))),
           p(static_cast<std::int64_t>(req.schedule_id))});
  raise_missed_events(tx, req.schedule_id, name, out.recorded, now);
  return Status::Ok();
}

Result<Job> PgStore::schedule_run(const RunRequest& req, TimeMs now) {
  Result<Job> out = make_error(ErrorClass::not_found, "no schedule \"" + req.name + "\"");
  Status s = db_->write([&](Tx& tx) {
    out = make_error(ErrorClass::not_found, "no schedule \"" + req.name + "\"");  // a rerun
    Rows sched = tx.exec(kScheduleByNameForRun, {p(req.name)});
    if (sched.empty()) return Status::Ok();
    const ScheduleId id = sched.i64(0, 0);
    core::OverlapPolicy overlap = core::OverlapPolicy::skip;
    if (auto o = core::parse_overlap_policy(sched.text(0, 1))) overlap = *o;
    core::JobSpec spec = req.job;
    spec.schedule_id = id;
    bool buffered = false;
    if (req.emergency) {
      spec.window.reset();  // an emergency run bypasses windows and holidays
    } else {
      const RunCounts runs = run_counts(tx, id);
      const auto d = core::decide_overlap(overlap, runs.active, runs.buffered);
      if (d.action == core::OverlapAction::skip)
        return Status(make_error(ErrorClass::conflict,
                                 "schedule \"" + req.name + "\" has a run still active (" +
                                     core::format_job_id(runs.oldest.value_or(0)) +
                                     ") and its overlap policy is " +
                                     std::string(core::to_string(overlap)) +
                                     "; wait for it, or use --emergency --reason TEXT to bypass"));
      if (d.action == core::OverlapAction::cancel_others_and_fire)
        if (auto cancelled = cancel_runs(tx, id, req.name, now); !cancelled)
          return Status(cancelled.error());
      buffered = d.action == core::OverlapAction::buffer;
    }
    auto job = insert_job(tx, spec, now, buffered);
    if (!job) return Status(job.error());
    if (req.emergency)
      tx.exec(kInsertAudit,
              {p(static_cast<std::int64_t>(now)), p(req.actor), p("schedule.emergency_run"),
               p(req.name), p(req.reason), p(static_cast<std::int64_t>(job->id)),
               p(json{{"bypassed", {"window", "holidays", "overlap"}}}.dump())});
    out = std::move(*job);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
