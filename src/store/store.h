// The store port: every durable operation of hypersdk, in domain terms. The SQLite store is
// the only implementation today; the signatures are shaped so that a PostgreSQL store
// (SKIP LOCKED claims, NOTIFY wake-ups) can pass the same conformance tests later.
// Each method is one transaction.
//
// Thread safety: implementations are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/schedule_types.h"
#include "store/workflow_types.h"

namespace hypersdk::store {

using core::Job;
using core::JobId;
using core::JobSpec;
using core::JobStatus;
using core::TimeMs;

struct JobFilter {
  std::optional<JobStatus> status;
  std::string type;             // empty = any
  int limit = 50;               // 1..1000
  std::optional<JobId> before;  // cursor: only ids below this one (newest first)
};

enum class Outcome { succeeded, failed, cancelled };

// A worker's report on one attempt. The lease token fences out stale workers.
struct Completion {
  JobId id = 0;
  std::int64_t token = 0;
  Outcome outcome = Outcome::succeeded;
  Error error;         // when failed or cancelled
  std::string result;  // JSON text, when succeeded
};

struct CompletionResult {
  JobId id = 0;
  bool applied = false;  // false: the token was stale (the lease was lost); nothing changed
  JobStatus status = JobStatus::queued;
  bool retries_exhausted = false;
  std::optional<TimeMs> retry_at;
  std::string type;
  std::int64_t duration_ms = 0;
};

struct LogLine {
  std::int64_t seq = 0;  // assigned by the store
  JobId job_id = 0;
  TimeMs ts = 0;
  std::string stream;  // "stdout", "stderr", "system"
  std::string line;
};

struct DeadLetter {
  Job job;
  std::string reason;  // "retries_exhausted", "not_retryable", "lease_expired"
  TimeMs created_at = 0;
};

struct RescueResult {
  std::vector<JobId> requeued;
  std::vector<JobId> dead_lettered;
  std::vector<JobId> cancelled;  // a cancel was pending: the job ends cancelled, not rerun
};

// A running job's progress as its worker reports it (bytes done of total, total 0 = unknown).
struct ProgressReport {
  JobId id = 0;
  std::int64_t token = 0;  // the lease token: a stale worker's report is ignored
  int attempt = 0;
  std::int64_t done = 0;
  std::int64_t total = 0;
  TimeMs at = 0;
};

// The latest progress stored for a job; started_at is the attempt's first report.
struct JobProgress {
  JobId job_id = 0;
  int attempt = 0;
  std::int64_t done = 0;
  std::int64_t total = 0;
  TimeMs started_at = 0;
  TimeMs updated_at = 0;
};

// What job_complete_and_claim did: the outcomes (in batch order) and the jobs it leased.
struct CompleteAndClaim {
  std::vector<CompletionResult> results;
  std::vector<Job> claimed;  // in claim order (priority, run_at, id)
};

// One lease a worker holds: the job and the fencing token its claim returned.
struct Lease {
  JobId id = 0;
  std::int64_t token = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts a queued job. With an idempotency key already used, returns the existing job.
  virtual Result<Job> job_enqueue(const JobSpec& spec, TimeMs now) = 0;
  // Inserts every spec in one transaction (one commit): all of them, in order, or none (the
  // error). Each idempotency key already used (also earlier in `specs`) returns that job.
  virtual Result<std::vector<Job>> job_enqueue_many(const std::vector<JobSpec>& specs,
                                                    TimeMs now) = 0;
  // Moves due retrying jobs to queued, then leases up to `max` queued jobs in priority order:
  // status=running, lease_owner=owner, lease_until=now+ttl, a new lease token, attempt+1.
  virtual Result<std::vector<Job>> job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                             const std::string& owner) = 0;
  // Extends exactly the given leases (a job still running under that token) to
  // `lease_until`. Returns the leases that were not extended: lost to a rescue, a cancel of
  // the run or another worker. A lease the worker stopped listing lapses and is rescued.
  virtual Result<std::vector<JobId>> job_heartbeat(const std::vector<Lease>& leases,
                                                   TimeMs lease_until) = 0;
  // Applies a batch of attempt outcomes; a failure is retried per the job's policy or
  // dead-lettered in the same transaction.
  virtual Result<std::vector<CompletionResult>> job_complete(const std::vector<Completion>& batch,
                                                             TimeMs now) = 0;
  // job_complete, then job_claim(claim_max, now, ttl, owner) for the completing worker, so it
  // goes straight on to the steps its completions made ready (and, slots allowing, other queued
  // work, in the claim's priority order) without a claim round trip of its own. claim_max is
  // what the caller can take (its free slots); <= 0 claims nothing. A batch none of whose
  // outcomes applied (every token stale: the caller lost its leases, it may have stalled)
  // claims nothing. A store does both in one transaction (one commit: a workflow chain's step
  // costs one commit, not two); this default composes the two port calls, and when its claim
  // fails the outcomes stand and `claimed` is empty (the caller's ordinary claim takes over).
  virtual Result<CompleteAndClaim> job_complete_and_claim(const std::vector<Completion>& batch,
                                                          TimeMs now, int claim_max,
                                                          std::chrono::milliseconds ttl,
                                                          const std::string& owner);
  virtual Result<Job> job_get(JobId id) = 0;
  virtual Result<std::vector<Job>> job_list(const JobFilter& filter) = 0;
  virtual Result<std::map<std::string, std::int64_t>> job_count_by_status() = 0;
  // Not yet running: cancelled now. Running: cancel_requested is set for its worker.
  virtual Result<Job> job_cancel(JobId id, TimeMs now) = 0;
  // A failed or cancelled job is queued again with a fresh retry budget (its history kept).
  virtual Result<Job> job_retry(JobId id, TimeMs now) = 0;
  // Running jobs of `owner` whose cancellation was requested.
  virtual Result<std::vector<JobId>> job_cancel_requests(const std::string& owner) = 0;
  // Requeues running jobs whose lease expired (counting an attempt and an expiry); after
  // `max_expiries` expiries the job is dead-lettered with reason lease_expired. A job whose
  // cancellation was requested ends cancelled instead (it is never run again).
  virtual Result<RescueResult> job_rescue_expired(TimeMs now, int max_expiries) = 0;
  // The same for every running job held by one of `owners` (known dead), whatever its lease.
  virtual Result<RescueResult> job_rescue_owners(const std::vector<std::string>& owners, TimeMs now,
                                                 int max_expiries) = 0;
  virtual Result<std::vector<std::string>> job_lease_owners() = 0;
  // Hands `owner`'s running jobs back to the queue without counting the attempt (shutdown).
  // A job whose cancellation was requested ends cancelled instead.
  virtual Result<int> job_release(const std::string& owner, TimeMs now) = 0;
  // The same for exactly these leases (jobs leased ahead that will not start here).
  virtual Result<int> job_release_leases(const std::vector<Lease>& leases, TimeMs now) = 0;
  // Earliest run_at among jobs that are queued or retrying, if any.
  virtual Result<std::optional<TimeMs>> job_next_due() = 0;
  // Deletes finished jobs (never dead-lettered ones) that finished before `before`, and those
  // beyond the newest `keep` finished ones. nullopt = no limit of that kind (retention 0 means
  // keep forever); with both nullopt nothing is deleted. REQUIRES: keep >= 0 when set.
  // Workflow steps are not pruned on their own: a finished workflow (none of its steps
  // dead-lettered) is deleted whole, with its steps, by the same two limits counted in
  // workflows; the steps of a running workflow are never deleted.
  // One short transaction of at most a few thousand rows: call again while it returns > 0.
  virtual Result<int> job_prune(std::optional<TimeMs> before, std::optional<int> keep) = 0;

  virtual Status job_log_append(const std::vector<LogLine>& lines) = 0;
  virtual Result<std::vector<LogLine>> job_log_read(JobId id, std::int64_t after_seq,
                                                    int limit) = 0;

  virtual Result<std::vector<DeadLetter>> dlq_list(int limit) = 0;
  virtual Result<DeadLetter> dlq_get(JobId id) = 0;
  virtual Result<std::int64_t> dlq_count() = 0;
  // Queues the dead-lettered job again with a fresh retry budget and removes its letter.
  virtual Result<Job> dlq_replay(JobId id, TimeMs now) = 0;
  // Removes one letter (id) or all; the jobs stay, failed.
  virtual Result<int> dlq_purge(std::optional<JobId> id) = 0;

  // ---- Schedules (DESIGN §5; types in schedule_types.h) ----
  // REQUIRES for create/update: core::validate_schedule(spec) succeeded. A new schedule's
  // cursor is `now`: its first occurrence is the first after its creation.
  // Errors: conflict when the name is taken.
  virtual Result<Schedule> schedule_create(const ScheduleSpec& spec, TimeMs now) = 0;
  // Replaces the definition of schedule `name` (spec.name may rename it). With
  // reset_cursor (the timing changed), the cursor moves up to `now` so the new timing does not
  // catch up on the past. Errors: not_found, conflict (new name taken).
  virtual Result<Schedule> schedule_update(const std::string& name, const ScheduleSpec& spec,
                                           bool reset_cursor, TimeMs now) = 0;
  virtual Result<Schedule> schedule_get(const std::string& name) = 0;
  virtual Result<Schedule> schedule_get_by_id(ScheduleId id) = 0;
  // The schedules of `ids` that exist, in one read (a scheduler tick's due schedules), in no
  // particular order. This default reads them one by one; the SQLite store in one snapshot.
  virtual Result<std::vector<Schedule>> schedule_get_many(const std::vector<ScheduleId>& ids) {
    std::vector<Schedule> out;
    out.reserve(ids.size());
    for (ScheduleId id : ids) {
      auto s = schedule_get_by_id(id);
      if (s)
        out.push_back(std::move(*s));
      else if (s.error().cls != ErrorClass::not_found)
        return s.error();
    }
    return out;
  }
  // Every schedule, by name.
  virtual Result<std::vector<Schedule>> schedule_list() = 0;
  // Every schedule, in no particular order, with only what planning its fires needs: id,
  // name, the timing fields (cron, timezone, window, days, holidays, window_close, dst_gap,
  // dst_fold, enabled), paused, cursor_ms and version; every other field keeps its default.
  // The scheduler's load: 100k schedules without reading payloads or parsing retry policies
  // (issue 14). This default is schedule_list(); the SQLite store reads those columns only.
  virtual Result<std::vector<Schedule>> schedule_list_timing() { return schedule_list(); }
  // One page by name: at most filter.limit schedules matching the filter whose names sort
  // after filter.after. Walks the name index, so a page costs the same however many there are.
  virtual Result<std::vector<Schedule>> schedule_page(const ScheduleFilter& filter) = 0;
  // Deletes the schedule and its occurrences; its jobs stay. Errors: not_found.
  virtual Status schedule_delete(const std::string& name) = 0;
  // Pause or resume. Resuming moves the cursor up to `now`: occurrences while paused are not
  // run and not reported as missed (the operator chose it).
  virtual Result<Schedule> schedule_set_paused(const std::string& name, bool paused,
                                               TimeMs now) = 0;
  // Changes with every create, update, delete, pause and resume, in any process.
  virtual Result<std::int64_t> schedule_generation() = 0;
  // In one transaction: records each planned occurrence (INSERT OR IGNORE on
  // (schedule, nominal time): one an other scheduler recorded is left alone), applies the
  // schedule's overlap policy to the runs and enqueues their jobs, records every occurrence not
  // run with its reason and raises one schedule.missed event per reason, and advances the
  // cursor. Nothing is written when the cursor or version no longer match (stale).
  virtual Result<FireResult> schedule_fire(const FireRequest& req, TimeMs now) = 0;
  // schedule_fire for many schedules at once (the schedules due in one scheduler tick), each
  // request judged on its own exactly as schedule_fire would: a stale one is answered stale
  // and a refused one with its error, without stopping the others. The answers are
  // index-aligned with `reqs`; the outer error is a failure of the whole (storage). This
  // default fires them one by one; the SQLite store in one transaction (one commit).
  virtual Result<std::vector<Result<FireResult>>> schedule_fire_batch(
      const std::vector<FireRequest>& reqs, TimeMs now) {
    std::vector<Result<FireResult>> out;
    out.reserve(reqs.size());
    for (const auto& r : reqs) out.push_back(schedule_fire(r, now));
    return out;
  }
  // A run outside the cron (`schedule run`). Without emergency the overlap policy applies
  // (skip or buffer_one with a run active: conflict) and so does the window; with emergency
  // neither, and an audit entry is written in the same transaction.
  // Errors: not_found, conflict.
  virtual Result<Job> schedule_run(const RunRequest& req, TimeMs now) = 0;
  // The schedule's most recent occurrences, newest first.
  virtual Result<std::vector<Occurrence>> schedule_occurrences(ScheduleId id, int limit) = 0;
  // Time windows and buffered runs, once per scheduler tick: requests cancellation of running
  // jobs whose window (close=cancel) has closed, sends queued jobs whose window closed before
  // a worker took them back to waiting, and releases buffered runs whose schedule has no other
  // active run.
  virtual Result<WindowSweep> job_window_sweep(TimeMs now) = 0;

  // Deletes occurrences whose nominal time is before `before`, and events older than it that
  // the notifier has dispatched. Returns how many rows went: one short transaction of at most
  // a few thousand rows, so call again while it returns > 0.
  virtual Result<int> schedule_prune(TimeMs before) = 0;

  // Newest first.
  virtual Result<std::vector<AuditEntry>> audit_list(int limit) = 0;
  // Events with id > after_id, oldest first.
  virtual Result<std::vector<Event>> event_list(std::int64_t after_id, int limit) = 0;

  // ---- Workflows (DESIGN §7; types in workflow_types.h) ----
  // Writes the workflow, every step as a job and its edges in one transaction: steps without
  // upstreams are queued (or wait for their window), the others wait (waiting_for
  // 'upstream'). Raises workflow.started. When a step finishes (job_complete, job_cancel, a
  // poison lease), the same transaction decides its dependents by their trigger rules: ready
  // ones are queued with `inputs` (every ancestor's result) in their payload, the others are
  // marked upstream_failed transitively; when every step has finished the workflow ends
  // (succeeded, failed, cancelled) with its event. Errors: invalid (spec), conflict.
  virtual Result<Workflow> workflow_submit(const WorkflowSubmit& req, TimeMs now) = 0;
  virtual Result<Workflow> workflow_get(WorkflowId id) = 0;
  // Newest first, with their steps.
  virtual Result<std::vector<Workflow>> workflow_list(int limit) = 0;
  // A finished workflow that did not succeed runs again from its failed, cancelled and
  // upstream_failed steps; succeeded steps and their results are kept. Errors: not_found,
  // conflict (still running, or succeeded).
  virtual Result<Workflow> workflow_retry(WorkflowId id, TimeMs now) = 0;
  // Cancels every step not yet running; running steps get a cancellation request, and the
  // workflow ends `cancelled` once they stop. Errors: not_found, conflict (finished).
  virtual Result<Workflow> workflow_cancel(WorkflowId id, TimeMs now) = 0;
  // Stores a template; an existing one of that name is replaced only with `replace`.
  // Errors: conflict (exists and not replace).
  virtual Result<WorkflowTemplate> workflow_template_put(const WorkflowTemplate& t, bool replace,
                                                         TimeMs now) = 0;
  // Errors: not_found.
  virtual Result<WorkflowTemplate> workflow_template_get(const std::string& name) = 0;
  // By name.
  virtual Result<std::vector<WorkflowTemplate>> workflow_template_list() = 0;
  // Errors: not_found.
  virtual Status workflow_template_delete(const std::string& name) = 0;

  // ---- Progress of running jobs (issue 11) ----
  // Stores each report whose job is still running under its token; others are ignored.
  virtual Status job_progress_record(const std::vector<ProgressReport>& reports) = 0;
  // The job's latest progress; nullopt when it never reported any.
  virtual Result<std::optional<JobProgress>> job_progress_get(JobId id) = 0;

  // Changes whenever any connection of any process commits; cheap to poll for wake-ups.
  // An error when it cannot be read: the caller must assume something changed.
  virtual Result<std::int64_t> data_version() = 0;
};

}  // namespace hypersdk::store
