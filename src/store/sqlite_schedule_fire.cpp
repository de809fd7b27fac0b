// Firing schedules in the SQLite store: occurrences with their overlap decisions and jobs, the
// cursor and schedule.missed events in one transaction; manual and emergency runs; the
// window/buffer sweep.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/schedule_rules.h"
#include "store/event_row.h"
#include "store/hot_statements.h"
#include "store/job_row.h"
#include "store/schedule_arm.h"
#include "store/schedule_events.h"
#include "store/schedule_fire_runs.h"
#include "store/schedule_row.h"
#include "store/sqlite_store.h"
#include "store/sqlite_workflow_rows.h"

namespace hypersdk::store {
using namespace detail;
using nlohmann::json;

namespace {

constexpr const char* kScheduleState =
    "SELECT cursor_ms, version, name, overlap FROM schedules WHERE id = ?";
constexpr const char* kScheduleByNameForRun = "SELECT id, overlap FROM schedules WHERE name = ?";
// Active runs (not counting buffered ones) and buffered runs of a schedule, as counts of jobs:
// only whether they are 0 matters. A workflow step waiting for its upstreams is left out: an
// active workflow run always has a step that is not (queued, running, retrying, waiting for
// its window, or a buffered root), so a run is active or buffered as its frontier is.
constexpr const char* kRunCounts =
    "SELECT coalesce(sum(NOT (status = 'waiting' AND waiting_for IS 'overlap')), 0),"
    " coalesce(sum(status = 'waiting' AND waiting_for IS 'overlap'), 0), min(id)"
    " FROM jobs WHERE schedule_id = ? AND status IN ('waiting', 'queued', 'running', 'retrying')"
    " AND waiting_for IS NOT 'upstream'";
constexpr const char* kInsertOccurrence =
    "INSERT OR IGNORE INTO schedule_occurrences (" HYPERSDK_OCCURRENCE_COLUMNS
    ") VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)";
// cancel_other on a workflow schedule: its running workflows end cancelled once their
// running steps stop (the steps themselves are cancelled by cancel_runs).
constexpr const char* kScheduleRunningWorkflows =
    "SELECT id FROM workflows WHERE schedule_id = ? AND status = 'running'";
constexpr const char* kRequestWorkflowCancel =
    "UPDATE workflows SET cancel_requested = 1, updated_at = ?1 WHERE id = ?2";
constexpr const char* kAdvanceCursor = "UPDATE schedules SET cursor_ms = ?1 WHERE id = ?2";
constexpr const char* kCancelPendingRuns =
    "UPDATE jobs SET status = 'cancelled', finished_at = ?1, error_class = 'cancelled',"
    " error_message = ?2, waiting_for = NULL"
    " WHERE schedule_id = ?3 AND status IN ('waiting', 'queued', 'retrying') RETURNING id";
constexpr const char* kCancelRunningRuns =
    "UPDATE jobs SET cancel_requested = 1 WHERE schedule_id = ? AND status = 'running'"
    " RETURNING id";
constexpr const char* kInsertAudit =
    "INSERT INTO audit_log (at, actor, action, subject, reason, job_id, details)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
// The sweep: candidates are read first, so that an idle tick writes nothing.
// A buffered run is released when no other run of its schedule is active: buffered jobs are
// not (at most one occurrence is buffered at a time, and all of its jobs are released
// together), nor are workflow steps waiting for their upstreams (see kRunCounts).
constexpr const char* kRunningWindowed =
    "SELECT id, window_policy FROM jobs WHERE status = 'running' AND window_policy IS NOT NULL"
    " AND cancel_requested = 0";
constexpr const char* kQueuedWindowed =
    "SELECT id, window_policy FROM jobs WHERE status = 'queued' AND window_policy IS NOT NULL";
constexpr const char* kReleasableBuffered =
    "SELECT j.id, j.window_policy FROM jobs j"
    " WHERE j.status = 'waiting' AND j.waiting_for = 'overlap' AND NOT EXISTS ("
    "   SELECT 1 FROM jobs k WHERE k.schedule_id = j.schedule_id AND k.id <> j.id"
    "   AND k.status IN ('waiting', 'queued', 'running', 'retrying')"
    "   AND NOT (k.status = 'waiting' AND k.waiting_for IN ('overlap', 'upstream')))";
constexpr const char* kRequestCancel =
    "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status = 'running'";
constexpr const char* kRewait =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = ?1"
    " WHERE id = ?2 AND status = 'queued'";
constexpr const char* kReleaseQueued =
    "UPDATE jobs SET status = 'queued', waiting_for = NULL, run_at = ?1"
    " WHERE id = ?2 AND status = 'waiting' AND waiting_for = 'overlap'";
constexpr const char* kReleaseToWindow =
    "UPDATE jobs SET waiting_for = 'window', run_at = ?1"
    " WHERE id = ?2 AND status = 'waiting' AND waiting_for = 'overlap'";

struct RunCounts {
  int active = 0;
  int buffered = 0;
  std::optional<JobId> oldest;
};

RunCounts run_counts(Connection& c, ScheduleId id) {
  auto& st = c.stmt(kRunCounts);
  st.bind(1, static_cast<std::int64_t>(id));
  RunCounts r;
  if (st.executeStep()) {
    r.active = st.getColumn(0).getInt();
    r.buffered = st.getColumn(1).getInt();
    if (!st.getColumn(2).isNull()) r.oldest = st.getColumn(2).getInt64();
  }
  return r;
}

// cancel_other: cancels the schedule's runs that have not started and asks running ones to stop.
Result<std::vector<JobId>> cancel_runs(Connection& c, ScheduleId id, const std::string& name,
                                       TimeMs now) {
  std::vector<JobId> out;
  auto& pending = c.stmt(kCancelPendingRuns);
  pending.bind(1, static_cast<std::int64_t>(now));
  pending.bind(2, "cancelled: superseded by a newer run of schedule " + name + " (cancel_other)");
  pending.bind(3, static_cast<std::int64_t>(id));
  while (pending.executeStep()) out.push_back(pending.getColumn(0).getInt64());
  pending.reset();
  auto& running = c.stmt(kCancelRunningRuns);
  running.bind(1, static_cast<std::int64_t>(id));
  while (running.executeStep()) out.push_back(running.getColumn(0).getInt64());
  running.reset();
  std::vector<WorkflowId> workflows;
  auto& wfs = c.stmt(kScheduleRunningWorkflows);
  wfs.bind(1, static_cast<std::int64_t>(id));
  while (wfs.executeStep()) workflows.push_back(wfs.getColumn(0).getInt64());
  wfs.reset();
  for (WorkflowId wf : workflows) {
    auto& rq = c.stmt(kRequestWorkflowCancel);
    rq.bind(1, static_cast<std::int64_t>(now));
    rq.bind(2, static_cast<std::int64_t>(wf));
    rq.exec();
    if (Status s = workflow_maybe_end(c, wf, now); !s.ok()) return s.error();
  }
  return out;
}

// Inserts the occurrence unless one exists for (schedule, nominal time). Returns whether it did.
bool record(Connection& c, const Occurrence& o) {
  auto& st = c.stmt(kInsertOccurrence);
  st.bind(1, static_cast<std::int64_t>(o.schedule_id));
  st.bind(2, static_cast<std::int64_t>(o.nominal_utc));
  st.bind(3, o.nominal_local);
  st.bind(4, o.dst_shifted ? 1 : 0);
  st.bind(5, o.fold_second ? 1 : 0);
  st.bind(6, std::string(to_string(o.outcome)));
  st.bind(7, o.reason);
  st.bind(8, static_cast<std::int64_t>(o.recorded_at));
  return st.exec() > 0;
}

// One schedule.missed event per reason.
void raise_missed_events(Connection& c, ScheduleId id, const std::string& name,
                         const std::vector<Occurrence>& recorded, TimeMs now) {
  for (const auto& payload : missed_event_payloads(id, name, recorded))
    event_insert(c, "schedule.missed", "warning", name, payload, now);
}

}  // namespace

namespace detail {
void add_hot_schedule_fire_statements(std::vector<HotStatement>& out) {
  out.push_back({"fire.run_counts", kRunCounts});
  out.push_back({"fire.cancel_pending_runs", kCancelPendingRuns});
  out.push_back({"fire.cancel_running_runs", kCancelRunningRuns});
  out.push_back({"sweep.running_windowed", kRunningWindowed});
  out.push_back({"sweep.queued_windowed", kQueuedWindowed});
  out.push_back({"sweep.releasable_buffered", kReleasableBuffered});
}
}  // namespace detail

namespace {
Status fire_in(Connection& c, const FireRequest& req, const std::vector<OccurrenceStart>& starts,
               TimeMs now, FireResult& out, bool* not_armed);
}  // namespace

Result<FireResult> SqliteStore::schedule_fire(const FireRequest& req, TimeMs now) {
  FireResult out;
  Status s = db_->write([&](Connection& c) { return schedule_fire_in(c, req, {}, now, out); });
  if (!s.ok()) return s.error();
  return out;
}

Status detail::schedule_fire_in(Connection& c, const FireRequest& req,
                                const std::vector<OccurrenceStart>& starts, TimeMs now,
                                FireResult& out) {
  return fire_in(c, req, starts, now, out, nullptr);
}

Status detail::schedule_arm_in(Connection& c, const FireRequest& req, TimeMs now, ArmResult& out) {
  out = ArmResult{};
  return fire_in(c, req, {}, now, out.fire, &out.not_armed);
}

namespace {

// schedule_fire_in; with `not_armed`, arms instead (schedule_arm.h): nothing is written when
// the overlap decision could still change (*not_armed), and the cursor is left.
Status fire_in(Connection& c, const FireRequest& req, const std::vector<OccurrenceStart>& starts,
               TimeMs now, FireResult& out, bool* not_armed) {
  {
    out = FireResult{};
    std::string name;
    core::OverlapPolicy overlap = core::OverlapPolicy::skip;
    {
      auto& st = c.stmt(kScheduleState);
      st.bind(1, static_cast<std::int64_t>(req.schedule_id));
      if (!st.executeStep() || st.getColumn(0).getInt64() != req.expected_cursor ||
          st.getColumn(1).getInt64() != req.expected_version) {
        out.stale = true;
        return Status::Ok();
      }
      name = st.getColumn(2).getString();
      if (auto p = core::parse_overlap_policy(st.getColumn(3).getString())) overlap = *p;
      st.reset();
    }
    // Runs of this batch are judged against the runs active before it (schedule_rules.h).
    const RunCounts before = run_counts(c, req.schedule_id);
    if (not_armed) {
      // Armed only when the decision at the nominal time is known now: `allow` always fires;
      // the other policies fire when no run is active or buffered, and no run of this
      // schedule can become active before then except by `schedule run`, which disarms (an
      // operator's `retry` of one of its finished jobs in those seconds does not: a known gap).
      if (overlap != core::OverlapPolicy::allow && (before.active > 0 || before.buffered > 0)) {
        *not_armed = true;
        return Status::Ok();
      }
      for (const PlannedFire& p : req.occurrences)
        if (!p.run || p.job.run_at.value_or(0) < p.nominal_utc || p.nominal_utc <= now)
          return invalid_error(
              "an armed occurrence must run, later than now, not before its "
              "nominal time (schedule " +
              std::to_string(req.schedule_id) + ")");
    }
    int buffered = before.buffered;
    bool cancelled_others = false;
    for (std::size_t i = 0; i < req.occurrences.size(); ++i) {
      const PlannedFire& p = req.occurrences[i];
      const OccurrenceStart* start = i < starts.size() ? &starts[i] : nullptr;
      Occurrence o;
      o.schedule_id = req.schedule_id;
      o.nominal_utc = p.nominal_utc;
      o.nominal_local = p.nominal_local;
      o.dst_shifted = p.dst_shifted;
      o.fold_second = p.fold_second;
      o.recorded_at = now;
      if (!p.run) {
        o.outcome = start && start->not_run ? *start->not_run : OccurrenceOutcome::missed;
        o.reason = p.reason;
        if (record(c, o))
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
      if (!record(c, o)) {
        ++out.duplicates;
        continue;
      }
      if (d.action == core::OverlapAction::cancel_others_and_fire && !cancelled_others) {
        auto cancelled = cancel_runs(c, req.schedule_id, name, now);
        if (!cancelled) return Status(cancelled.error());
        out.cancelled = std::move(*cancelled);
        cancelled_others = true;
      }
      if (o.outcome == OccurrenceOutcome::fired || o.outcome == OccurrenceOutcome::buffered) {
        if (Status st = occurrence_start_runs(
                c, p, start && start->replaces_job() ? start : nullptr, req.schedule_id, o, now);
            !st.ok())
          return st;
        if (o.outcome == OccurrenceOutcome::buffered) ++buffered;
      }
      out.recorded.push_back(std::move(o));
    }
    // Armed: the cursor stays, so an armed occurrence is one beyond its schedule's cursor
    // (sqlite_schedule_arm.cpp); the fire at its nominal time finds it recorded and advances.
    if (not_armed) return Status::Ok();
    auto& adv = c.stmt(kAdvanceCursor);
    adv.bind(1, static_cast<std::int64_t>(std::max(req.new_cursor, req.expected_cursor)));
    adv.bind(2, static_cast<std::int64_t>(req.schedule_id));
    adv.exec();
    raise_missed_events(c, req.schedule_id, name, out.recorded, now);
    return Status::Ok();
  }
}

}  // namespace

Result<Job> SqliteStore::schedule_run(const RunRequest& req, TimeMs now) {
  Result<Job> out = make_error(ErrorClass::not_found, "no schedule \"" + req.name + "\"");
  Status s = db_->write([&](Connection& c) {
    ScheduleId id = 0;
    core::OverlapPolicy overlap = core::OverlapPolicy::skip;
    {
      auto& st = c.stmt(kScheduleByNameForRun);
      st.bind(1, req.name);
      if (!st.executeStep()) return Status::Ok();
      id = st.getColumn(0).getInt64();
      if (auto p = core::parse_overlap_policy(st.getColumn(1).getString())) overlap = *p;
      st.reset();
    }
    // An armed occurrence is the scheduler's decision made ahead; a run now may change it (its
    // own overlap decision would count the armed job as active): undo it, and the fire at
    // the nominal time decides against this run, as if nothing had been armed.
    schedule_disarm_in(c, id);
    core::JobSpec spec = req.job;
    spec.schedule_id = id;
    bool buffered = false;
    if (req.emergency) {
      spec.window.reset();  // an emergency run bypasses windows and holidays
    } else {
      const RunCounts runs = run_counts(c, id);
      const auto d = core::decide_overlap(overlap, runs.active, runs.buffered);
      if (d.action == core::OverlapAction::skip)
        return Status(make_error(ErrorClass::conflict,
                                 "schedule \"" + req.name + "\" has a run still active (" +
                                     core::format_job_id(runs.oldest.value_or(0)) +
                                     ") and its overlap policy is " +
                                     std::string(core::to_string(overlap)) +
                                     "; wait for it, or use --emergency --reason TEXT to bypass"));
      if (d.action == core::OverlapAction::cancel_others_and_fire)
        if (auto cancelled = cancel_runs(c, id, req.name, now); !cancelled)
          return Status(cancelled.error());
      buffered = d.action == core::OverlapAction::buffer;
    }
    auto job = insert_job(c, spec, now, buffered);
    if (!job) return Status(job.error());
    if (req.emergency) {
      auto& st = c.stmt(kInsertAudit);
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, req.actor);
      st.bind(3, "schedule.emergency_run");
      st.bind(4, req.name);
      st.bind(5, req.reason);
      st.bind(6, static_cast<std::int64_t>(job->id));
      st.bind(7, json{{"bypassed", {"window", "holidays", "overlap"}}}.dump());
      st.exec();
    }
    out = std::move(*job);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WindowSweep> SqliteStore::job_window_sweep(TimeMs now) {
  struct Candidate {
    JobId id;
    std::optional<core::JobWindow> window;
  };
  std::vector<Candidate> running, queued, buffered;
  Status s = db_->read([&](Connection& c) {
    for (auto [sql, list] :
         {std::pair{kRunningWindowed, &running}, std::pair{kQueuedWindowed, &queued},
          std::pair{kReleasableBuffered, &buffered}}) {
      auto& st = c.stmt(sql);
      while (st.executeStep())
        list->push_back({st.getColumn(0).getInt64(),
                         st.getColumn(1).isNull() ? std::nullopt
                                                  : window_from_json(st.getColumn(1).getString())});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();

  WindowSweep out;
  std::vector<std::pair<JobId, TimeMs>> rewait, release;
  for (const auto& r : running) {
    if (!r.window || r.window->close != core::WindowClose::cancel) continue;
    auto start = core::window_start_at(*r.window, now);
    if (!start || *start > now) out.cancel_requested.push_back(r.id);
  }
  for (const auto& q : queued) {
    if (!q.window) continue;
    auto start = core::window_start_at(*q.window, now);
    if (!start || *start > now) rewait.emplace_back(q.id, start.value_or(now + 24 * 3600 * 1000));
  }
  for (const auto& b : buffered) {
    auto start = b.window && b.window->restricts() ? core::window_start_at(*b.window, now)
                                                   : std::optional<TimeMs>(now);
    release.emplace_back(b.id, start.value_or(now + 24 * 3600 * 1000));
  }
  if (out.cancel_requested.empty() && rewait.empty() && release.empty()) return out;

  s = db_->write([&](Connection& c) {
    std::vector<JobId> cancelled;
    for (JobId id : out.cancel_requested) {
      auto& st = c.stmt(kRequestCancel);
      st.bind(1, static_cast<std::int64_t>(id));
      if (st.exec() > 0) cancelled.push_back(id);
    }
    out.cancel_requested = std::move(cancelled);
    for (const auto& [id, at] : rewait) {
      auto& st = c.stmt(kRewait);
      st.bind(1, static_cast<std::int64_t>(at));
      st.bind(2, static_cast<std::int64_t>(id));
      if (st.exec() > 0) out.rewaited.push_back(id);
    }
    for (const auto& [id, at] : release) {
      auto& st = c.stmt(at <= now ? kReleaseQueued : kReleaseToWindow);
      st.bind(1, static_cast<std::int64_t>(at));
      st.bind(2, static_cast<std::int64_t>(id));
      if (st.exec() > 0) out.released.push_back(id);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
