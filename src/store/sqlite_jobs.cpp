// Job lifecycle operations of the SQLite store: enqueue, claim, heartbeat, complete.
#include <algorithm>
#include <tuple>

#include "store/hot_statements.h"
#include "store/job_event.h"
#include "store/job_row.h"
#include "store/sqlite_job_ops.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {
using namespace detail;

namespace {

constexpr const char* kInsertJob =
    "INSERT INTO jobs (type, status, priority, payload, labels, target, provider, max_retries,"
    " retry_policy, timeout_ms, run_at, created_at, idempotency_key, schedule_id, window_policy,"
    " waiting_for)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " RETURNING " HYPERSDK_JOB_COLUMNS;
// The same insert answering only the id (a schedule's fire: reading the whole row back cost
// more than the insert, issue 14).
constexpr const char* kInsertJobId =
    "INSERT INTO jobs (type, status, priority, payload, labels, target, provider, max_retries,"
    " retry_policy, timeout_ms, run_at, created_at, idempotency_key, schedule_id, window_policy,"
    " waiting_for)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " RETURNING id";
constexpr const char* kJobByIdempotencyKey =
    "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE idempotency_key = ?";
// INDEXED BY on the claim path: each partial index exists for exactly its statement, and
// without it SQLite 3.40 picks jobs_by_status (every queued or retrying row) and, for the
// claim, sorts them all in a temporary B-tree, per batch: 98 ms per claim at 135,000 queued
// (issue 18 item 7). Which index it picks depends on the statistics of the moment (none,
// ANALYZE of a backlog, ANALYZE of a history each gave another plan), so the choice is not
// left to them; query_plan_test.cpp asserts the plans, and a dropped index fails to prepare.
constexpr const char* kPromoteDue =
    "UPDATE jobs INDEXED BY jobs_due SET status = 'queued'"
    " WHERE status = 'retrying' AND run_at <= ? AND window_policy IS NULL";
// Due jobs with a time window: the window is judged again before they may be claimed (the
// opening computed earlier may have passed while serve was down, the window closed again
// while they queued behind others, or an operator's retry queued them), so a windowed job
// never starts outside its window.
constexpr const char* kDueWindowed =
    "SELECT id, window_policy, status = 'queued' FROM jobs INDEXED BY jobs_windowed"
    " WHERE window_policy IS NOT NULL AND status IN ('queued', 'retrying', 'waiting')"
    " AND run_at <= ?1 AND (status <> 'waiting' OR waiting_for = 'window')";
constexpr const char* kWindowOpen =
    "UPDATE jobs SET status = 'queued', waiting_for = NULL WHERE id = ?";
constexpr const char* kWindowWait =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = ?1 WHERE id = ?2";
constexpr const char* kClaim =
    "UPDATE jobs SET status = 'running', lease_owner = ?1, lease_until = ?2,"
    " lease_token = lease_token + 1, attempt = attempt + 1, started_at = ?3, cancel_requested = 0"
    " WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_claimable"
    "              WHERE status = 'queued' AND run_at <= ?3"
    "              ORDER BY priority DESC, run_at, id LIMIT ?4)"
    " RETURNING " HYPERSDK_JOB_COLUMNS;
// One lease: the job must still run under the token the worker's claim returned, so a job
// the worker no longer holds (lost, or abandoned when its outcome could not be recorded) is
// never renewed and lapses to the reaper.
constexpr const char* kHeartbeat =
    "UPDATE jobs SET lease_until = ?1 WHERE id = ?2 AND lease_token = ?3 AND status = 'running'";
constexpr const char* kSucceed =
    "UPDATE jobs SET status = 'succeeded', finished_at = ?1, result = ?2, lease_owner = NULL,"
    " lease_until = NULL, error_class = NULL, error_message = NULL"
    " WHERE id = ?3 AND lease_token = ?4 AND status = 'running'"
    " RETURNING type, coalesce(started_at, ?1)";
constexpr const char* kRunningForUpdate =
    "SELECT type, attempt, max_retries, retry_policy, errors, coalesce(started_at, ?1),"
    " window_policy"
    " FROM jobs WHERE id = ?2 AND lease_token = ?3 AND status = 'running'";
constexpr const char* kFinishFailed =
    "UPDATE jobs SET status = ?1, finished_at = ?2, lease_owner = NULL, lease_until = NULL,"
    " error_class = ?3, error_message = ?4, errors = ?5 WHERE id = ?6";
constexpr const char* kScheduleRetry =
    "UPDATE jobs SET status = 'retrying', run_at = ?1, lease_owner = NULL, lease_until = NULL,"
    " error_class = ?2, error_message = ?3, errors = ?4 WHERE id = ?5";
constexpr const char* kScheduleRetryInWindow =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = ?1, lease_owner = NULL,"
    " lease_until = NULL, error_class = ?2, error_message = ?3, errors = ?4 WHERE id = ?5";
// A job whose window never opens again within the search horizon is looked at again daily.
constexpr const char* kInsertDeadLetter =
    "INSERT OR REPLACE INTO dead_letters (job_id, reason, error_class, error_message, created_at)"
    " VALUES (?, ?, ?, ?, ?)";

void bind_text_or_null(SQLite::Statement& st, int i, const std::string& s) {
  if (s.empty())
    st.bind(i);
  else
    st.bind(i, s);
}

// Moves due retrying jobs to queued; due jobs with a window to queued when it is open, else
// to waiting until its next opening. REQUIRES: inside a write transaction.
void promote_due(Connection& c, TimeMs now) {
  auto& promote = c.stmt(kPromoteDue);
  promote.bind(1, static_cast<std::int64_t>(now));
  promote.exec();
  std::vector<std::tuple<JobId, std::string, bool>> windowed;
  auto& due = c.stmt(kDueWindowed);
  due.bind(1, static_cast<std::int64_t>(now));
  while (due.executeStep())
    windowed.emplace_back(due.getColumn(0).getInt64(), due.getColumn(1).getString(),
                          due.getColumn(2).getInt() != 0);
  for (const auto& [id, text, queued] : windowed) {
    auto w = window_from_json(text);
    auto start = w ? core::window_start_at(*w, now) : std::optional<TimeMs>(now);
    if (start && *start <= now) {
      if (queued) continue;
      auto& st = c.stmt(kWindowOpen);
      st.bind(1, static_cast<std::int64_t>(id));
      st.exec();
    } else {
      auto& st = c.stmt(kWindowWait);
      st.bind(1, static_cast<std::int64_t>(start.value_or(now + kWindowRecheckMs)));
      st.bind(2, static_cast<std::int64_t>(id));
      st.exec();
    }
  }
}

}  // namespace

namespace detail {

namespace {

// Binds kInsertJob's (or kInsertJobId's) parameters and steps it once.
Status step_insert_job(SQLite::Statement& st, const JobSpec& spec, TimeMs now, bool buffered) {
  const TimeMs wanted = std::max(now, spec.run_at.value_or(now));
  TimeMs run_at = spec.run_at.value_or(now);
  const char* status = "queued";
  const char* waiting_for = nullptr;
  const bool windowed = spec.window && spec.window->restricts();
  if (buffered) {
    status = "waiting";
    waiting_for = "overlap";
  } else if (windowed) {
    auto start = core::window_start_at(*spec.window, wanted);
    if (!start)
      return make_error(ErrorClass::invalid,
                        "the job's time window never opens in the next two years (check "
                        "--window, --days and --holidays)");
    if (*start > wanted) {
      status = "waiting";
      waiting_for = "window";
      run_at = *start;
    }
  }
  st.bind(1, spec.type);
  st.bind(2, status);
  st.bind(3, spec.priority);
  st.bind(4, spec.payload);
  st.bind(5, spec.labels);
  st.bind(6, spec.target);
  st.bind(7, spec.provider);
  st.bind(8, spec.retry.max_retries);
  st.bind(9, retry_policy_to_json(spec.retry));
  st.bind(10, static_cast<std::int64_t>(spec.timeout_ms));
  st.bind(11, static_cast<std::int64_t>(run_at));
  st.bind(12, static_cast<std::int64_t>(now));
  bind_text_or_null(st, 13, spec.idempotency_key);
  if (spec.schedule_id)
    st.bind(14, static_cast<std::int64_t>(*spec.schedule_id));
  else
    st.bind(14);
  if (windowed)
    st.bind(15, window_to_json(*spec.window));
  else
    st.bind(15);
  if (waiting_for)
    st.bind(16, waiting_for);
  else
    st.bind(16);
  st.executeStep();
  return Status::Ok();
}

}  // namespace

Result<Job> insert_job(Connection& c, const JobSpec& spec, TimeMs now, bool buffered) {
  auto& st = c.stmt(kInsertJob);
  if (Status s = step_insert_job(st, spec, now, buffered); !s.ok()) return s.error();
  return read_job(st);
}

Result<JobId> insert_job_id(Connection& c, const JobSpec& spec, TimeMs now, bool buffered) {
  auto& st = c.stmt(kInsertJobId);
  if (Status s = step_insert_job(st, spec, now, buffered); !s.ok()) return s.error();
  return st.getColumn(0).getInt64();
}

void add_hot_job_statements(std::vector<HotStatement>& out) {
  out.push_back({"claim", kClaim});
  out.push_back({"claim.promote_due", kPromoteDue});
  out.push_back({"claim.due_windowed", kDueWindowed});
  out.push_back({"complete.succeed", kSucceed});
  out.push_back({"complete.running", kRunningForUpdate});
}

}  // namespace detail

Result<Job> SqliteStore::job_enqueue(const JobSpec& spec, TimeMs now) {
  if (Status s = core::validate_spec(spec); !s.ok()) return s.error();
  Job out;
  Status s = db_->write([&](Connection& c) {
    if (!spec.idempotency_key.empty()) {
      auto& q = c.stmt(kJobByIdempotencyKey);
      q.bind(1, spec.idempotency_key);
      if (q.executeStep()) {
        out = read_job(q);
        return Status::Ok();
      }
    }
    auto job = insert_job(c, spec, now);
    if (!job) return Status(job.error());
    out = std::move(*job);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Job>> SqliteStore::job_enqueue_many(const std::vector<JobSpec>& specs,
                                                       TimeMs now) {
  for (const auto& spec : specs)
    if (Status s = core::validate_spec(spec); !s.ok()) return s.error();
  std::vector<Job> out;
  Status s = db_->write([&](Connection& c) {
    out.reserve(specs.size());
    for (const auto& spec : specs) {
      if (!spec.idempotency_key.empty()) {
        auto& q = c.stmt(kJobByIdempotencyKey);
        q.bind(1, spec.idempotency_key);
        if (q.executeStep()) {
          out.push_back(read_job(q));
          q.reset();
          continue;
        }
        q.reset();
      }
      auto job = insert_job(c, spec, now);
      if (!job) return Status(job.error());
      out.push_back(std::move(*job));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

std::vector<Job> detail::job_claim_in(Connection& c, int max, TimeMs now,
                                      std::chrono::milliseconds ttl, const std::string& owner) {
  std::vector<Job> jobs;
  if (max <= 0) return jobs;
  promote_due(c, now);
  auto& st = c.stmt(kClaim);
  st.bind(1, owner);
  st.bind(2, static_cast<std::int64_t>(now + ttl.count()));
  st.bind(3, static_cast<std::int64_t>(now));
  st.bind(4, max);
  while (st.executeStep()) jobs.push_back(read_job(st));
  for (const auto& j : jobs) job_event(c, j.id, "job.started", now);
  // RETURNING has no defined order; hand jobs out in claim order.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    if (a.spec.priority != b.spec.priority) return a.spec.priority > b.spec.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
  });
  return jobs;
}

Result<std::vector<Job>> SqliteStore::job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                                const std::string& owner) {
  std::vector<Job> jobs;
  if (max <= 0) return jobs;
  Status s = db_->write([&](Connection& c) {
    jobs = job_claim_in(c, max, now, ttl, owner);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return jobs;
}

namespace detail {
std::vector<JobId> lease_update_in(Connection& c, const char* sql, std::int64_t value,
                                   const std::vector<Lease>& leases) {
  std::vector<JobId> lost;
  for (const auto& lease : leases) {
    auto& st = c.stmt(sql);
    st.bind(1, value);
    st.bind(2, static_cast<std::int64_t>(lease.id));
    st.bind(3, static_cast<std::int64_t>(lease.token));
    if (st.exec() == 0) lost.push_back(lease.id);
  }
  return lost;
}
}  // namespace detail

Result<std::vector<JobId>> SqliteStore::job_heartbeat(const std::vector<Lease>& leases,
                                                      TimeMs lease_until) {
  std::vector<JobId> lost;
  if (leases.empty()) return lost;
  Status s = db_->write([&](Connection& c) {
    lost = lease_update_in(c, kHeartbeat, lease_until, leases);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return lost;
}

namespace {

// Applies one failed or cancelled attempt inside the caller's transaction.
CompletionResult apply_failure(Connection& c, const Completion& done, TimeMs now) {
  CompletionResult r;
  r.id = done.id;
  auto& q = c.stmt(kRunningForUpdate);
  q.bind(1, static_cast<std::int64_t>(now));
  q.bind(2, static_cast<std::int64_t>(done.id));
  q.bind(3, static_cast<std::int64_t>(done.token));
  if (!q.executeStep()) return r;  // stale token: the lease was lost
  r.applied = true;
  r.type = q.getColumn(0).getString();
  const int attempt = q.getColumn(1).getInt();
  const auto policy = retry_policy_from_json(q.getColumn(3).getString(), q.getColumn(2).getInt());
  const std::string history = append_error(q.getColumn(4).getString(), attempt, now, done.error);
  r.duration_ms = now - q.getColumn(5).getInt64();
  const std::string cls(to_string(done.error.cls));
  const auto window =
      q.getColumn(6).isNull() ? std::nullopt : window_from_json(q.getColumn(6).getString());

  if (done.outcome == Outcome::cancelled || done.error.cls == ErrorClass::cancelled) {
    auto& st = c.stmt(kFinishFailed);
    st.bind(1, "cancelled");
    st.bind(2, static_cast<std::int64_t>(now));
    st.bind(3, "cancelled");
    st.bind(4, done.error.message);
    st.bind(5, history);
    st.bind(6, static_cast<std::int64_t>(done.id));
    st.exec();
    r.status = JobStatus::cancelled;
    return r;
  }
  const auto decision = core::decide_failure(policy, attempt, done.error.cls, done.id);
  if (decision.retry) {
    r.status = JobStatus::retrying;
    const RetryTime when = retry_time(window, now + decision.delay.count());
    r.retry_at = when.at;
    const bool waits = when.waits_for_window;
    auto& st = c.stmt(waits ? kScheduleRetryInWindow : kScheduleRetry);
    st.bind(1, static_cast<std::int64_t>(*r.retry_at));
    st.bind(2, cls);
    st.bind(3, done.error.message);
    st.bind(4, history);
    st.bind(5, static_cast<std::int64_t>(done.id));
    st.exec();
    return r;
  }
  r.status = JobStatus::failed;
  r.retries_exhausted = decision.retries_exhausted;
  auto& st = c.stmt(kFinishFailed);
  st.bind(1, "failed");
  st.bind(2, static_cast<std::int64_t>(now));
  st.bind(3, cls);
  st.bind(4, done.error.message);
  st.bind(5, history);
  st.bind(6, static_cast<std::int64_t>(done.id));
  st.exec();
  auto& dl = c.stmt(kInsertDeadLetter);
  dl.bind(1, static_cast<std::int64_t>(done.id));
  dl.bind(2, decision.retries_exhausted ? "retries_exhausted" : "not_retryable");
  dl.bind(3, cls);
  dl.bind(4, done.error.message);
  dl.bind(5, static_cast<std::int64_t>(now));
  dl.exec();
  return r;
}

}  // namespace

Status detail::job_complete_in(Connection& c, const std::vector<Completion>& batch, TimeMs now,
                               std::vector<CompletionResult>& results) {
  results.clear();
  for (const auto& done : batch) {
    if (done.outcome != Outcome::succeeded) {
      results.push_back(apply_failure(c, done, now));
      continue;
    }
    CompletionResult r;
    r.id = done.id;
    auto& st = c.stmt(kSucceed);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, done.result);
    st.bind(3, static_cast<std::int64_t>(done.id));
    st.bind(4, static_cast<std::int64_t>(done.token));
    if (st.executeStep()) {
      r.applied = true;
      r.status = JobStatus::succeeded;
      r.type = st.getColumn(0).getString();
      r.duration_ms = now - st.getColumn(1).getInt64();
    }
    results.push_back(std::move(r));
  }
  for (const auto& r : results) {
    if (!r.applied) continue;
    switch (r.status) {
      case JobStatus::succeeded:
        job_event(c, r.id, "job.completed", now);
        break;
      case JobStatus::cancelled:
        job_event(c, r.id, "job.cancelled", now);
        break;
      case JobStatus::failed:
        job_event(c, r.id, "job.failed", now, {.retries_exhausted = r.retries_exhausted});
        break;
      default:  // retrying, or waiting for its window: the attempt failed, the job goes on
        job_event(c, r.id, "job.failed", now, {.final = false});
    }
  }
  for (const auto& r : results)  // workflow steps: decide dependents in this transaction
    if (Status w = r.applied && core::is_terminal(r.status) ? workflow_step_finished(c, r.id, now)
                                                            : Status::Ok();
        !w.ok())
      return w;
  return Status::Ok();
}

Result<std::vector<CompletionResult>> SqliteStore::job_complete(
    const std::vector<Completion>& batch, TimeMs now) {
  std::vector<CompletionResult> results;
  results.reserve(batch.size());
  Status s = db_->write([&](Connection& c) { return job_complete_in(c, batch, now, results); });
  if (!s.ok()) return s.error();
  return results;
}

}  // namespace hypersdk::store
