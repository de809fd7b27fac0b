// Job lifecycle operations of the PostgreSQL store: enqueue, claim, heartbeat, complete.
// Claims and heartbeats run READ COMMITTED and lock their rows with FOR UPDATE SKIP LOCKED, so
// several nodes claim different jobs without waiting for each other; enqueue and complete run
// SERIALIZABLE (idempotency keys, retry decisions, workflow advance).
#include <algorithm>
#include <tuple>

#include "store/pg/pg_event_row.h"
#include "store/pg/pg_job_row.h"
#include "store/pg/pg_store.h"
#include "store/pg/pg_workflow_advance.h"

namespace hypersdk::store::pg {

using detail::append_error;
using detail::window_from_json;

namespace {

// Rows another claimer holds are skipped, not waited for; the next claim picks them up.
constexpr const char* kPromoteDue =
    "UPDATE jobs SET status = 'queued' WHERE id IN (SELECT id FROM jobs"
    " WHERE status = 'retrying' AND run_at <= $1::bigint AND window_policy IS NULL"
    " FOR UPDATE SKIP LOCKED)";
// Due jobs with a time window: judged again before they may be claimed (as in SQLite).
constexpr const char* kDueWindowed =
    "SELECT id, window_policy, status = 'queued' FROM jobs"
    " WHERE window_policy IS NOT NULL AND status IN ('queued', 'retrying', 'waiting')"
    " AND run_at <= $1::bigint AND (status <> 'waiting' OR waiting_for = 'window')"
    " FOR UPDATE SKIP LOCKED";
constexpr const char* kWindowOpen =
    "UPDATE jobs SET status = 'queued', waiting_for = NULL WHERE id = $1::bigint";
constexpr const char* kWindowWait =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = $1::bigint"
    " WHERE id = $2::bigint";
// The batched claim: the inner SELECT walks jobs_claimable in claim order and locks up to $4
// rows no other transaction holds; the UPDATE leases exactly those, with a new token each.
constexpr const char* kClaim =
    "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2::bigint,"
    " lease_token = lease_token + 1, attempt = attempt + 1, started_at = $3::bigint,"
    " cancel_requested = 0"
    " WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $3::bigint"
    "              ORDER BY priority DESC, run_at, id LIMIT $4::bigint FOR UPDATE SKIP LOCKED)"
    " RETURNING " HYPERSDK_JOB_COLUMNS;
// All leases in one statement: those still running under their token are extended.
constexpr const char* kHeartbeat =
    "UPDATE jobs SET lease_until = $1::bigint"
    " FROM unnest($2::bigint[], $3::bigint[]) AS l(id, token)"
    " WHERE jobs.id = l.id AND jobs.lease_token = l.token AND jobs.status = 'running'"
    " RETURNING jobs.id";
constexpr const char* kSucceed =
    "UPDATE jobs SET status = 'succeeded', finished_at = $1::bigint, result = $2,"
    " lease_owner = NULL, lease_until = NULL, error_class = NULL, error_message = NULL"
    " WHERE id = $3::bigint AND lease_token = $4::bigint AND status = 'running'"
    " RETURNING type, coalesce(started_at, $1::bigint)";
// FOR UPDATE: under READ COMMITTED the row stays as read until the retry decision is written.
constexpr const char* kRunning =
    "SELECT type, attempt, max_retries, retry_policy, errors, coalesce(started_at, $1::bigint),"
    " window_policy FROM jobs"
    " WHERE id = $2::bigint AND lease_token = $3::bigint AND status = 'running' FOR UPDATE";
constexpr const char* kAnyStep =
    "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ANY($1::bigint[]) AND workflow_id IS NOT NULL)";
constexpr const char* kFinishFailed =
    "UPDATE jobs SET status = $1, finished_at = $2::bigint, lease_owner = NULL,"
    " lease_until = NULL, error_class = $3, error_message = $4, errors = $5"
    " WHERE id = $6::bigint";
constexpr const char* kScheduleRetry =
    "UPDATE jobs SET status = 'retrying', run_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, error_class = $2, error_message = $3, errors = $4"
    " WHERE id = $5::bigint";
constexpr const char* kScheduleRetryInWindow =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = $1::bigint,"
    " lease_owner = NULL, lease_until = NULL, error_class = $2, error_message = $3,"
    " errors = $4 WHERE id = $5::bigint";
constexpr TimeMs kWindowRecheckMs = 24 * 3600 * 1000;
constexpr const char* kInsertDeadLetter =
    "INSERT INTO dead_letters (job_id, reason, error_class, error_message, created_at)"
    " VALUES ($1::bigint, $2, $3, $4, $5::bigint) ON CONFLICT (job_id) DO UPDATE SET"
    " reason = excluded.reason, error_class = excluded.error_class,"
    " error_message = excluded.error_message, created_at = excluded.created_at";

Param i64(std::int64_t v) {
  return p(v);
}

// PostgreSQL's array literal of integers: {1,2,3}.
std::string int_array(const std::vector<std::int64_t>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "}";
}

void promote_due(Tx& tx, TimeMs now) {
  tx.exec(kPromoteDue, {i64(now)});
  auto due = tx.exec(kDueWindowed, {i64(now)});
  for (int i = 0; i < due.size(); ++i) {
    const JobId id = due.i64(i, 0);
    const bool queued = due.text(i, 2) == "t";
    auto w = window_from_json(due.text(i, 1));
    auto start = w ? core::window_start_at(*w, now) : std::optional<TimeMs>(now);
    if (start && *start <= now) {
      if (!queued) tx.exec(kWindowOpen, {i64(id)});
    } else {
      tx.exec(kWindowWait, {i64(start.value_or(now + kWindowRecheckMs)), i64(id)});
    }
  }
}

Result<Job> enqueue_in(Tx& tx, const JobSpec& spec, TimeMs now) {
  if (!spec.idempotency_key.empty())
    if (auto existing = job_by_idempotency_key(tx, spec.idempotency_key)) return *existing;
  return insert_job(tx, spec, now);
}

// Applies one failed or cancelled attempt inside the caller's transaction.
CompletionResult apply_failure(Tx& tx, const Completion& done, TimeMs now) {
  CompletionResult r;
  r.id = done.id;
  auto q = tx.exec(kRunning, {i64(now), i64(done.id), i64(done.token)});
  if (q.empty()) return r;  // stale token: the lease was lost
  r.applied = true;
  r.type = q.text(0, 0);
  const int attempt = static_cast<int>(q.i64(0, 1));
  const auto policy = detail::retry_policy_from_json(q.text(0, 3), static_cast<int>(q.i64(0, 2)));
  const std::string history = append_error(q.text(0, 4), attempt, now, done.error);
  r.duration_ms = now - q.i64(0, 5);
  const std::string cls(to_string(done.error.cls));
  const auto window = q.null(0, 6) ? std::nullopt : window_from_json(q.text(0, 6));

  if (done.outcome == Outcome::cancelled || done.error.cls == ErrorClass::cancelled) {
    tx.exec(kFinishFailed, {p("cancelled"), i64(now), p("cancelled"), p(done.error.message),
                            p(history), i64(done.id)});
    r.status = JobStatus::cancelled;
    return r;
  }
  const auto decision = core::decide_failure(policy, attempt, done.error.cls, done.id);
  if (decision.retry) {
    r.status = JobStatus::retrying;
    r.retry_at = now + decision.delay.count();
    // A retry that falls outside the job's window waits for the next opening (DESIGN §6).
    bool waits = false;
    if (window && window->restricts()) {
      auto start = core::window_start_at(*window, *r.retry_at);
      waits = !start || *start > *r.retry_at;
      r.retry_at = start.value_or(*r.retry_at + kWindowRecheckMs);
    }
    tx.exec(waits ? kScheduleRetryInWindow : kScheduleRetry,
            {i64(*r.retry_at), p(cls), p(done.error.message), p(history), i64(done.id)});
    return r;
  }
  r.status = JobStatus::failed;
  r.retries_exhausted = decision.retries_exhausted;
  tx.exec(kFinishFailed,
          {p("failed"), i64(now), p(cls), p(done.error.message), p(history), i64(done.id)});
  tx.exec(kInsertDeadLetter,
          {i64(done.id), p(decision.retries_exhausted ? "retries_exhausted" : "not_retryable"),
           p(cls), p(done.error.message), i64(now)});
  return r;
}

}  // namespace

Result<Job> PgStore::job_enqueue(const JobSpec& spec, TimeMs now) {
  if (Status s = core::validate_spec(spec); !s.ok()) return s.error();
  Job out;
  Status s = db_->write([&](Tx& tx) {
    auto job = enqueue_in(tx, spec, now);
    if (!job) return Status(job.error());
    out = std::move(*job);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Job>> PgStore::job_enqueue_many(const std::vector<JobSpec>& specs, TimeMs now) {
  for (const auto& spec : specs)
    if (Status s = core::validate_spec(spec); !s.ok()) return s.error();
  std::vector<Job> out;
  Status s = db_->write([&](Tx& tx) {
    out.clear();
    out.reserve(specs.size());
    for (const auto& spec : specs) {
      auto job = enqueue_in(tx, spec, now);
      if (!job) return Status(job.error());
      out.push_back(std::move(*job));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Job>> PgStore::job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                            const std::string& owner) {
  std::vector<Job> jobs;
  if (max <= 0) return jobs;
  Status s = db_->write(
      [&](Tx& tx) {
        jobs.clear();
        promote_due(tx, now);
        auto r = tx.exec(kClaim, {p(owner), i64(now + ttl.count()), i64(now), p(max)});
        for (int i = 0; i < r.size(); ++i) jobs.push_back(read_job(r, i));
        std::vector<JobId> ids;
        for (const auto& j : jobs) ids.push_back(j.id);
        std::sort(ids.begin(), ids.end());
        pg_job_events(tx, ids, "job.started", now);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  // RETURNING has no defined order; hand jobs out in claim order.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    if (a.spec.priority != b.spec.priority) return a.spec.priority > b.spec.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
  });
  return jobs;
}

Result<std::vector<JobId>> PgStore::job_heartbeat(const std::vector<Lease>& leases,
                                                  TimeMs lease_until) {
  std::vector<JobId> lost;
  if (leases.empty()) return lost;
  std::vector<std::int64_t> ids, tokens;
  for (const auto& l : leases) {
    ids.push_back(l.id);
    tokens.push_back(l.token);
  }
  Status s = db_->write(
      [&](Tx& tx) {
        lost.clear();
        auto r = tx.exec(kHeartbeat, {i64(lease_until), p(int_array(ids)), p(int_array(tokens))});
        std::vector<JobId> kept;
        for (int i = 0; i < r.size(); ++i) kept.push_back(r.i64(i, 0));
        std::sort(kept.begin(), kept.end());
        for (const auto& l : leases)
          if (!std::binary_search(kept.begin(), kept.end(), l.id)) lost.push_back(l.id);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  return lost;
}

// A batch of plain jobs completes READ COMMITTED: each write is fenced by its row (id, token,
// status) and touches nothing else, and SERIALIZABLE made completions of neighbouring jobs
// fail each other on shared index pages (false positives that ran out of retries with six
// workers on two nodes). A batch with a workflow step runs SERIALIZABLE, as the advance reads
// and writes the step's siblings.
Result<std::vector<CompletionResult>> PgStore::job_complete(const std::vector<Completion>& batch,
                                                            TimeMs now) {
  std::vector<CompletionResult> results;
  if (batch.empty()) return results;
  std::vector<std::int64_t> ids;
  for (const auto& c : batch) ids.push_back(c.id);
  bool has_step = false;
  Status s = db_->read([&](Tx& tx) {
    has_step = tx.exec(kAnyStep, {p(int_array(ids))}).text(0, 0) == "t";
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  const Isolation iso = has_step ? Isolation::serializable : Isolation::read_committed;
  s = db_->write(
      [&](Tx& tx) {
        results.clear();
        results.reserve(batch.size());
        for (const auto& done : batch) {
          if (done.outcome != Outcome::succeeded) {
            results.push_back(apply_failure(tx, done, now));
            continue;
          }
          CompletionResult r;
          r.id = done.id;
          auto st = tx.exec(kSucceed, {i64(now), p(done.result), i64(done.id), i64(done.token)});
          if (!st.empty()) {
            r.applied = true;
            r.status = JobStatus::succeeded;
            r.type = st.text(0, 0);
            r.duration_ms = now - st.i64(0, 1);
          }
          results.push_back(std::move(r));
        }
        for (const auto& r : results) {
          if (!r.applied) continue;
          switch (r.status) {
            case JobStatus::succeeded:
              pg_job_event(tx, r.id, "job.completed", now);
              break;
            case JobStatus::cancelled:
              pg_job_event(tx, r.id, "job.cancelled", now);
              break;
            case JobStatus::failed:
              pg_job_event(tx, r.id, "job.failed", now, {.retries_exhausted = r.retries_exhausted});
              break;
            default:  // retrying, or waiting for its window: the attempt failed, the job goes on
              pg_job_event(tx, r.id, "job.failed", now, {.final = false});
          }
        }
        for (const auto& r : results)  // workflow steps: decide dependents in this transaction
          if (r.applied && core::is_terminal(r.status))
            if (Status w = pg_workflow_on_step_finished(tx, r.id, now); !w.ok()) return w;
        return Status::Ok();
      },
      iso);
  if (!s.ok()) return s.error();
  return results;
}

}  // namespace hypersdk::store::pg
