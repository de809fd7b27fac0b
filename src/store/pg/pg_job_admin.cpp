// Job reads and operator actions of the PostgreSQL store: get, list, cancel, retry, rescue,
// release and prune; the same rules as sqlite_job_admin.cpp. Rescues bump the lease token, so
// a worker that comes back from a pause cannot complete (or heartbeat) a job it lost even
// before another node claims it.
#include <algorithm>

#include "store/pg/pg_event_row.h"
#include "store/pg/pg_job_row.h"
#include "store/pg/pg_store.h"
#include "store/pg/pg_workflow_advance.h"

namespace hypersdk::store::pg {

using detail::append_error;

namespace {

constexpr const char* kJobById = "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE id = $1::bigint";
// One statement per filter combination, each walking its index from the cursor.
#define HYPERSDK_PG_JOB_PAGE " id < $1::bigint ORDER BY id DESC LIMIT $2::bigint"
constexpr const char* kJobList =
    "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE" HYPERSDK_PG_JOB_PAGE;
constexpr const char* kJobListByStatus = "SELECT " HYPERSDK_JOB_COLUMNS
                                         " FROM jobs WHERE status = $3 AND ($4 = '' OR type = $4)"
                                         " AND" HYPERSDK_PG_JOB_PAGE;
constexpr const char* kJobListByType =
    "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE type = $3 AND" HYPERSDK_PG_JOB_PAGE;
constexpr const char* kCountByStatus = "SELECT status, count(*) FROM jobs GROUP BY status";
constexpr const char* kCancelPending =
    "UPDATE jobs SET status = 'cancelled', finished_at = $1::bigint, error_class = 'cancelled',"
    " error_message = 'cancelled by operator' WHERE id = $2::bigint";
constexpr const char* kRequestCancel = "UPDATE jobs SET cancel_requested = 1 WHERE id = $1::bigint";
constexpr const char* kRequeueFresh =
    "UPDATE jobs SET status = 'queued', attempt = 0, run_at = $1::bigint, finished_at = NULL,"
    " started_at = NULL, lease_expiries = 0, cancel_requested = 0, lease_owner = NULL,"
    " lease_until = NULL WHERE id = $2::bigint";
constexpr const char* kHasDeadLetter = "SELECT 1 FROM dead_letters WHERE job_id = $1::bigint";
constexpr const char* kDeleteDeadLetter = "DELETE FROM dead_letters WHERE job_id = $1::bigint";
constexpr const char* kStepWorkflow =
    "SELECT workflow_id FROM jobs WHERE id = $1::bigint AND workflow_id IS NOT NULL";
constexpr const char* kCancelRequests =
    "SELECT id FROM jobs WHERE status = 'running' AND lease_owner = $1 AND cancel_requested = 1"
    " ORDER BY id";
constexpr const char* kExpired =
    "SELECT id, lease_expiries, attempt, errors, cancel_requested,"
    " CASE WHEN started_at IS NULL THEN 1 ELSE 0 END FROM jobs"
    " WHERE status = 'running' AND lease_until < $1::bigint ORDER BY id";
constexpr const char* kHeldBy =
    "SELECT id, lease_expiries, attempt, errors, cancel_requested,"
    " CASE WHEN started_at IS NULL THEN 1 ELSE 0 END FROM jobs"
    " WHERE status = 'running' AND lease_owner = $1 ORDER BY id";
constexpr const char* kCancelOrphan =
    "UPDATE jobs SET status = 'cancelled', finished_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, cancel_requested = 0, error_class = 'cancelled', error_message = $2,"
    " errors = $3, lease_token = lease_token + 1 WHERE id = $4::bigint";
constexpr const char* kRequeueExpired =
    "UPDATE jobs SET status = 'queued', run_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, lease_expiries = lease_expiries + 1, error_class = 'lease_expired',"
    " error_message = $2, errors = $3, lease_token = lease_token + 1 WHERE id = $4::bigint";
// A job leased ahead whose attempt never started (job_claim_ahead): back to the queue as a
// release hands it back, neither the attempt nor an expiry counted; a new token all the same.
constexpr const char* kRequeueUnstarted =
    "UPDATE jobs SET status = 'queued', attempt = greatest(attempt - 1, 0), run_at = $1::bigint,"
    " lease_owner = NULL, lease_until = NULL, lease_token = lease_token + 1"
    " WHERE id = $2::bigint";
constexpr const char* kFailExpired =
    "UPDATE jobs SET status = 'failed', finished_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, lease_expiries = lease_expiries + 1, error_class = 'lease_expired',"
    " error_message = $2, errors = $3, lease_token = lease_token + 1 WHERE id = $4::bigint";
constexpr const char* kDeadLetterExpired =
    "INSERT INTO dead_letters (job_id, reason, error_class, error_message, created_at)"
    " VALUES ($1::bigint, 'lease_expired', 'lease_expired', $2, $3::bigint)"
    " ON CONFLICT (job_id) DO UPDATE SET reason = excluded.reason,"
    " error_class = excluded.error_class, error_message = excluded.error_message,"
    " created_at = excluded.created_at";
constexpr const char* kLeaseOwners =
    "SELECT DISTINCT lease_owner FROM jobs WHERE status = 'running' AND lease_owner IS NOT NULL"
    " ORDER BY lease_owner";
constexpr const char* kReleaseCancelled =
    "UPDATE jobs SET status = 'cancelled', finished_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, cancel_requested = 0, error_class = 'cancelled',"
    " error_message = 'cancelled by operator' WHERE status = 'running' AND lease_owner = $2"
    " AND cancel_requested = 1 RETURNING id";
constexpr const char* kRelease =
    "UPDATE jobs SET status = 'queued', attempt = greatest(attempt - 1, 0), run_at = $1::bigint,"
    " lease_owner = NULL, lease_until = NULL WHERE status = 'running' AND lease_owner = $2";
constexpr const char* kReleaseLeaseCancelled =
    "UPDATE jobs SET status = 'cancelled', finished_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, cancel_requested = 0, error_class = 'cancelled',"
    " error_message = 'cancelled by operator' WHERE id = $2::bigint AND lease_token = $3::bigint"
    " AND status = 'running' AND cancel_requested = 1 RETURNING id";
constexpr const char* kReleaseLease =
    "UPDATE jobs SET status = 'queued', attempt = greatest(attempt - 1, 0), run_at = $1::bigint,"
    " lease_owner = NULL, lease_until = NULL WHERE id = $2::bigint AND lease_token = $3::bigint"
    " AND status = 'running'";
constexpr const char* kNextDue =
    "SELECT least((SELECT min(run_at) FROM jobs WHERE status = 'retrying'),"
    " (SELECT min(run_at) FROM jobs WHERE status = 'waiting' AND waiting_for = 'window'),"
    " (SELECT min(run_at) FROM jobs WHERE status = 'queued'))";
constexpr const char* kPruneOld =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs j WHERE finished_at < $1::bigint"
    " AND workflow_id IS NULL AND NOT EXISTS (SELECT 1 FROM dead_letters d"
    " WHERE d.job_id = j.id) LIMIT 5000)";
constexpr const char* kPruneBeyond =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs j WHERE finished_at IS NOT NULL"
    " AND workflow_id IS NULL AND NOT EXISTS (SELECT 1 FROM dead_letters d"
    " WHERE d.job_id = j.id) ORDER BY finished_at DESC, id DESC LIMIT 5000 OFFSET $1::bigint)";

Param i64(std::int64_t v) {
  return p(v);
}

Error no_such_job(JobId id) {
  return make_error(ErrorClass::not_found, "no job " + core::format_job_id(id));
}

Result<Job> get_in(Tx& tx, JobId id) {
  auto r = tx.exec(kJobById, {i64(id)});
  if (r.empty()) return no_such_job(id);
  return read_job(r, 0);
}

// Requeues or dead-letters each running job in `rows` (lease expired or owner dead).
// REQUIRES: inside a write transaction.
Status rescue(Tx& tx, const Rows& rows, TimeMs now, int max_expiries, const std::string& why,
              RescueResult& out) {
  for (int i = 0; i < rows.size(); ++i) {
    const JobId id = rows.i64(i, 0);
    const auto expiries = rows.i64(i, 1);
    const int attempt = static_cast<int>(rows.i64(i, 2));
    const std::string errors = rows.text(i, 3);
    if (rows.i64(i, 4) != 0) {  // a cancel was requested: it ends cancelled, never rerun
      const Error err{ErrorClass::cancelled, "cancelled by operator; " + why};
      tx.exec(kCancelOrphan,
              {i64(now), p(err.message), p(append_error(errors, attempt, now, err)), i64(id)});
      out.cancelled.push_back(id);
      pg_job_event(tx, id, "job.cancelled", now);
      continue;
    }
    if (rows.i64(i, 5) != 0) {  // leased ahead, never started: not an attempt
      tx.exec(kRequeueUnstarted, {i64(now), i64(id)});
      out.requeued.push_back(id);
      continue;
    }
    const Error err{ErrorClass::lease_expired, why};
    const std::string history = append_error(errors, attempt, now, err);
    const bool poison = expiries + 1 >= max_expiries;
    tx.exec(poison ? kFailExpired : kRequeueExpired, {i64(now), p(why), p(history), i64(id)});
    if (poison) {
      tx.exec(kDeadLetterExpired, {i64(id), p(why), i64(now)});
      out.dead_lettered.push_back(id);
      pg_job_event(tx, id, "job.failed", now, {.retries_exhausted = true});
      if (Status w = pg_workflow_on_step_finished(tx, id, now); !w.ok()) return w;
    } else {
      out.requeued.push_back(id);
    }
  }
  return Status::Ok();
}

// Queues a finished job again with a fresh retry budget. REQUIRES: inside a write transaction.
void requeue_fresh(Tx& tx, JobId id, TimeMs now) {
  tx.exec(kRequeueFresh, {i64(now), i64(id)});
  tx.exec(kDeleteDeadLetter, {i64(id)});
}

}  // namespace

Result<Job> PgStore::job_get(JobId id) {
  Result<Job> out = no_such_job(id);
  Status s = db_->read([&](Tx& tx) {
    out = get_in(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Job>> PgStore::job_list(const JobFilter& f) {
  if (f.limit < 1 || f.limit > 1000)
    return make_error(ErrorClass::invalid, "limit must be between 1 and 1000");
  std::vector<Job> jobs;
  Status s = db_->read([&](Tx& tx) {
    jobs.clear();
    std::vector<Param> params{i64(f.before.value_or(INT64_MAX)), p(f.limit)};
    const char* sql = kJobList;
    if (f.status) {
      sql = kJobListByStatus;
      params.push_back(p(std::string(core::to_string(*f.status))));
      params.push_back(p(f.type));
    } else if (!f.type.empty()) {
      sql = kJobListByType;
      params.push_back(p(f.type));
    }
    auto r = tx.exec(sql, params);
    for (int i = 0; i < r.size(); ++i) jobs.push_back(read_job(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return jobs;
}

Result<std::map<std::string, std::int64_t>> PgStore::job_count_by_status() {
  std::map<std::string, std::int64_t> counts;
  Status s = db_->read([&](Tx& tx) {
    auto r = tx.exec(kCountByStatus);
    for (int i = 0; i < r.size(); ++i) counts[r.text(i, 0)] = r.i64(i, 1);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return counts;
}

Result<Job> PgStore::job_cancel(JobId id, TimeMs now) {
  Result<Job> out = no_such_job(id);
  Status s = db_->write([&](Tx& tx) {
    auto job = get_in(tx, id);
    if (!job) return Status(job.error());
    if (core::is_terminal(job->status))
      return Status(make_error(ErrorClass::conflict,
                               "job " + core::format_job_id(id) + " has already finished (" +
                                   std::string(core::to_string(job->status)) + ")"));
    if (job->status == JobStatus::running) {
      tx.exec(kRequestCancel, {i64(id)});
    } else {
      tx.exec(kCancelPending, {i64(now), i64(id)});
      pg_job_event(tx, id, "job.cancelled", now);
      if (Status w = pg_workflow_on_step_finished(tx, id, now); !w.ok()) return w;
    }
    out = get_in(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Job> PgStore::job_retry(JobId id, TimeMs now) {
  Result<Job> out = no_such_job(id);
  Status s = db_->write([&](Tx& tx) {
    auto job = get_in(tx, id);
    if (!job) return Status(job.error());
    if (auto wf = tx.exec(kStepWorkflow, {i64(id)}); !wf.empty()) {
      // A workflow step: its workflow resumes (DESIGN §7).
      if (Status r = pg_workflow_retry_in(tx, wf.i64(0, 0), now); !r.ok()) return r;
      out = get_in(tx, id);
      return Status::Ok();
    }
    if (job->status != JobStatus::failed && job->status != JobStatus::cancelled &&
        job->status != JobStatus::upstream_failed)
      return Status(
          make_error(ErrorClass::conflict, "job " + core::format_job_id(id) + " is " +
                                               std::string(core::to_string(job->status)) +
                                               "; only failed or cancelled jobs can be retried"));
    requeue_fresh(tx, id, now);
    out = get_in(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Job> PgStore::dlq_replay(JobId id, TimeMs now) {
  Result<Job> out = no_such_job(id);
  Status s = db_->write([&](Tx& tx) {
    if (tx.exec(kHasDeadLetter, {i64(id)}).empty())
      return Status(
          make_error(ErrorClass::not_found, "no dead letter for job " + core::format_job_id(id)));
    requeue_fresh(tx, id, now);
    out = get_in(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<JobId>> PgStore::job_cancel_requests(const std::string& owner) {
  std::vector<JobId> ids;
  Status s = db_->read([&](Tx& tx) {
    auto r = tx.exec(kCancelRequests, {p(owner)});
    for (int i = 0; i < r.size(); ++i) ids.push_back(r.i64(i, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return ids;
}

Result<RescueResult> PgStore::job_rescue_expired(TimeMs now, int max_expiries) {
  RescueResult out;
  Status s = db_->write([&](Tx& tx) {
    out = RescueResult{};
    auto rows = tx.exec(kExpired, {i64(now)});
    return rescue(tx, rows, now, max_expiries, "lease expired: the worker stopped heartbeating",
                  out);
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<RescueResult> PgStore::job_rescue_owners(const std::vector<std::string>& owners, TimeMs now,
                                                int max_expiries) {
  RescueResult out;
  Status s = db_->write([&](Tx& tx) {
    out = RescueResult{};
    for (const auto& owner : owners) {
      auto rows = tx.exec(kHeldBy, {p(owner)});
      if (Status r = rescue(tx, rows, now, max_expiries, "worker process " + owner + " died", out);
          !r.ok())
        return r;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<std::string>> PgStore::job_lease_owners() {
  std::vector<std::string> owners;
  Status s = db_->read([&](Tx& tx) {
    auto r = tx.exec(kLeaseOwners);
    for (int i = 0; i < r.size(); ++i) owners.push_back(r.text(i, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return owners;
}

// Releases run SERIALIZABLE like the other operator paths: a released step that was cancelled
// advances its workflow, which reads and writes its siblings.
Result<int> PgStore::job_release(const std::string& owner, TimeMs now) {
  int n = 0;
  Status s = db_->write([&](Tx& tx) {
    auto cancelled = tx.exec(kReleaseCancelled, {i64(now), p(owner)});
    auto released = tx.exec(kRelease, {i64(now), p(owner)});
    n = cancelled.size() + static_cast<int>(released.affected());
    // A step cancelled here has finished: its workflow moves on as after any other end.
    for (int i = 0; i < cancelled.size(); ++i)
      if (Status w = pg_workflow_on_step_finished(tx, cancelled.i64(i, 0), now); !w.ok()) return w;
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

Result<int> PgStore::job_release_leases(const std::vector<Lease>& leases, TimeMs now) {
  int n = 0;
  if (leases.empty()) return n;
  Status s = db_->write([&](Tx& tx) {
    n = 0;
    for (const auto& lease : leases) {
      auto cancelled = tx.exec(kReleaseLeaseCancelled, {i64(now), i64(lease.id), i64(lease.token)});
      if (!cancelled.empty()) {
        ++n;
        if (Status w = pg_workflow_on_step_finished(tx, lease.id, now); !w.ok()) return w;
        continue;
      }
      n += static_cast<int>(
          tx.exec(kReleaseLease, {i64(now), i64(lease.id), i64(lease.token)}).affected());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

Result<std::optional<TimeMs>> PgStore::job_next_due() {
  std::optional<TimeMs> due;
  Status s = db_->read([&](Tx& tx) {
    due = tx.exec(kNextDue).opt_i64(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return due;
}

Result<int> PgStore::job_prune(std::optional<TimeMs> before, std::optional<int> keep) {
  // One small batch per call keeps each write transaction short.
  int n = 0;
  Status s = db_->write([&](Tx& tx) {
    n = 0;
    if (before) n += static_cast<int>(tx.exec(kPruneOld, {i64(*before)}).affected());
    if (keep) n += static_cast<int>(tx.exec(kPruneBeyond, {p(*keep)}).affected());
    // Workflow steps are never pruned one by one: whole finished workflows go together.
    n += pg_workflow_prune_in(tx, before, keep);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

}  // namespace hypersdk::store::pg
