// Job reads and operator actions of the SQLite store: get, list, cancel, retry, rescue,
// release and prune.
#include "store/hot_statements.h"
#include "store/job_event.h"
#include "store/job_row.h"
#include "store/sqlite_store.h"
#include "store/sqlite_workflow_rows.h"

namespace hypersdk::store {
using namespace detail;

namespace {

constexpr const char* kJobById = "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE id = ?";
// One statement per filter combination: "(?1 IS NULL OR status = ?1)" can use no index, so
// one list of a rare status on a big table read every row. Each of these walks its index in
// id order from the cursor (?3, the largest id when there is none) and stops after ?4 rows.
#define HYPERSDK_JOB_PAGE " id < coalesce(?3, 9223372036854775807) ORDER BY id DESC LIMIT ?4"
constexpr const char* kJobList =
    "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE ?1 IS NULL AND ?2 = '' AND" HYPERSDK_JOB_PAGE;
constexpr const char* kJobListByStatus =
    "SELECT " HYPERSDK_JOB_COLUMNS
    " FROM jobs INDEXED BY jobs_by_status"
    " WHERE status = ?1 AND (?2 = '' OR type = ?2) AND" HYPERSDK_JOB_PAGE;
constexpr const char* kJobListByType = "SELECT " HYPERSDK_JOB_COLUMNS
                                       " FROM jobs INDEXED BY jobs_by_type"
                                       " WHERE ?1 IS NULL AND type = ?2 AND" HYPERSDK_JOB_PAGE;
constexpr const char* kCountByStatus = "SELECT status, count(*) FROM jobs GROUP BY status";
constexpr const char* kCancelPending =
    "UPDATE jobs SET status = 'cancelled', finished_at = ?1, error_class = 'cancelled',"
    " error_message = 'cancelled by operator' WHERE id = ?2";
constexpr const char* kRequestCancel = "UPDATE jobs SET cancel_requested = 1 WHERE id = ?";
constexpr const char* kRequeueFresh =
    "UPDATE jobs SET status = 'queued', attempt = 0, run_at = ?1, finished_at = NULL,"
    " started_at = NULL, lease_expiries = 0, cancel_requested = 0, lease_owner = NULL,"
    " lease_until = NULL WHERE id = ?2";
constexpr const char* kHasDeadLetter = "SELECT 1 FROM dead_letters WHERE job_id = ?";
constexpr const char* kDeleteDeadLetter = "DELETE FROM dead_letters WHERE job_id = ?";
constexpr const char* kCancelRequests =
    "SELECT id FROM jobs WHERE status = 'running' AND lease_owner = ? AND cancel_requested = 1";
constexpr const char* kExpired =
    "SELECT id, lease_expiries, attempt, errors, cancel_requested, started_at IS NULL"
    " FROM jobs INDEXED BY jobs_leased WHERE status = 'running' AND lease_until < ?";
constexpr const char* kHeldBy =
    "SELECT id, lease_expiries, attempt, errors, cancel_requested, started_at IS NULL FROM jobs"
    " WHERE status = 'running' AND lease_owner = ?";
// A rescued or released job whose cancellation was requested (by an operator, a window's
// close or cancel_other, perhaps while no server ran) ends cancelled: running it again would
// undo the cancel, since a claim clears cancel_requested.
constexpr const char* kCancelOrphan =
    "UPDATE jobs SET status = 'cancelled', finished_at = ?1, lease_owner = NULL,"
    " lease_until = NULL, cancel_requested = 0, error_class = 'cancelled', error_message = ?2,"
    " errors = ?3 WHERE id = ?4";
constexpr const char* kRequeueExpired =
    "UPDATE jobs SET status = 'queued', run_at = ?1, lease_owner = NULL, lease_until = NULL,"
    " lease_expiries = lease_expiries + 1, error_class = 'lease_expired', error_message = ?2,"
    " errors = ?3 WHERE id = ?4";
// A job leased ahead whose attempt never started (job_claim_ahead): back to the queue as a
// release hands it back, neither the attempt nor an expiry counted (it never ran, so it
// cannot be a poison pill).
constexpr const char* kRequeueUnstarted =
    "UPDATE jobs SET status = 'queued', attempt = max(attempt - 1, 0), run_at = ?1,"
    " lease_owner = NULL, lease_until = NULL WHERE id = ?2";
constexpr const char* kFailExpired =
    "UPDATE jobs SET status = 'failed', finished_at = ?1, lease_owner = NULL, lease_until = NULL,"
    " lease_expiries = lease_expiries + 1, error_class = 'lease_expired', error_message = ?2,"
    " errors = ?3 WHERE id = ?4";
constexpr const char* kDeadLetterExpired =
    "INSERT OR REPLACE INTO dead_letters (job_id, reason, error_class, error_message, created_at)"
    " VALUES (?, 'lease_expired', 'lease_expired', ?, ?)";
constexpr const char* kLeaseOwners =
    "SELECT DISTINCT lease_owner FROM jobs WHERE status = 'running' AND lease_owner IS NOT NULL";
constexpr const char* kReleaseCancelled =
    "UPDATE jobs SET status = 'cancelled', finished_at = ?1, lease_owner = NULL,"
    " lease_until = NULL, cancel_requested = 0, error_class = 'cancelled',"
    " error_message = 'cancelled by operator' WHERE status = 'running' AND lease_owner = ?2"
    " AND cancel_requested = 1 RETURNING id";
constexpr const char* kRelease =
    "UPDATE jobs SET status = 'queued', attempt = max(attempt - 1, 0), run_at = ?1,"
    " lease_owner = NULL, lease_until = NULL WHERE status = 'running' AND lease_owner = ?2";
constexpr const char* kReleaseLeaseCancelled =
    "UPDATE jobs SET status = 'cancelled', finished_at = ?1, lease_owner = NULL,"
    " lease_until = NULL, cancel_requested = 0, error_class = 'cancelled',"
    " error_message = 'cancelled by operator' WHERE id = ?2 AND lease_token = ?3"
    " AND status = 'running' AND cancel_requested = 1 RETURNING id";
constexpr const char* kReleaseLease =
    "UPDATE jobs SET status = 'queued', attempt = max(attempt - 1, 0), run_at = ?1,"
    " lease_owner = NULL, lease_until = NULL WHERE id = ?2 AND lease_token = ?3"
    " AND status = 'running'";
// min() over the partial index that holds exactly those rows: one index step each (without
// INDEXED BY, SQLite walked every queued row of jobs_by_status).
constexpr const char* kNextRetry =
    "SELECT min(run_at) FROM jobs INDEXED BY jobs_due WHERE status = 'retrying'";
constexpr const char* kNextWindow =
    "SELECT min(run_at) FROM jobs INDEXED BY jobs_waiting"
    " WHERE status = 'waiting' AND waiting_for = 'window'";
constexpr const char* kNextQueued =
    "SELECT min(run_at) FROM jobs INDEXED BY jobs_queued_run_at WHERE status = 'queued'";
constexpr const char* kPruneOld =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_at < ?1"
    " AND workflow_id IS NULL AND id NOT IN (SELECT job_id FROM dead_letters) LIMIT 5000)";
constexpr const char* kPruneBeyond =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_at IS NOT NULL"
    " AND workflow_id IS NULL AND id NOT IN (SELECT job_id FROM dead_letters)"
    " ORDER BY finished_at DESC"
    " LIMIT 5000 OFFSET ?1)";

Error no_such_job(JobId id) {
  return make_error(ErrorClass::not_found, "no job " + core::format_job_id(id));
}

Result<Job> get_in(Connection& c, JobId id) {
  auto& st = c.stmt(kJobById);
  st.bind(1, static_cast<std::int64_t>(id));
  if (!st.executeStep()) return no_such_job(id);
  return read_job(st);
}

// Requeues or dead-letters each running job that `select` returns (lease expired or owner
// dead). REQUIRES: inside a write transaction.
RescueResult rescue(Connection& c, SQLite::Statement& select, TimeMs now, int max_expiries,
                    const std::string& why) {
  struct Row {
    JobId id;
    int expiries;
    int attempt;
    std::string errors;
    bool cancel_requested;
    bool unstarted;
  };
  std::vector<Row> rows;
  while (select.executeStep())
    rows.push_back({select.getColumn(0).getInt64(), select.getColumn(1).getInt(),
                    select.getColumn(2).getInt(), select.getColumn(3).getString(),
                    select.getColumn(4).getInt() != 0, select.getColumn(5).getInt() != 0});
  RescueResult out;
  for (const auto& r : rows) {
    if (r.cancel_requested) {
      const Error err{ErrorClass::cancelled, "cancelled by operator; " + why};
      auto& st = c.stmt(kCancelOrphan);
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, err.message);
      st.bind(3, append_error(r.errors, r.attempt, now, err));
      st.bind(4, static_cast<std::int64_t>(r.id));
      st.exec();
      out.cancelled.push_back(r.id);
      job_event(c, r.id, "job.cancelled", now);
      continue;
    }
    if (r.unstarted) {
      auto& st = c.stmt(kRequeueUnstarted);
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, static_cast<std::int64_t>(r.id));
      st.exec();
      out.requeued.push_back(r.id);
      continue;
    }
    const Error err{ErrorClass::lease_expired, why};
    const std::string history = append_error(r.errors, r.attempt, now, err);
    const bool poison = r.expiries + 1 >= max_expiries;
    auto& st = c.stmt(poison ? kFailExpired : kRequeueExpired);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, why);
    st.bind(3, history);
    st.bind(4, static_cast<std::int64_t>(r.id));
    st.exec();
    if (poison) {
      auto& dl = c.stmt(kDeadLetterExpired);
      dl.bind(1, static_cast<std::int64_t>(r.id));
      dl.bind(2, why);
      dl.bind(3, static_cast<std::int64_t>(now));
      dl.exec();
      out.dead_lettered.push_back(r.id);
      job_event(c, r.id, "job.failed", now, {.retries_exhausted = true});
      (void)workflow_step_finished(c, r.id, now);  // always Ok: SQLite errors throw, rolling back
    } else {
      out.requeued.push_back(r.id);
    }
  }
  return out;
}

}  // namespace

namespace detail {
void add_hot_admin_statements(std::vector<HotStatement>& out) {
  out.push_back({"list", kJobList});
  out.push_back({"list.status", kJobListByStatus});
  out.push_back({"list.type", kJobListByType});
  out.push_back({"get", kJobById});
  out.push_back({"reaper.expired", kExpired});
  out.push_back({"reaper.held_by", kHeldBy});
  out.push_back({"lease_owners", kLeaseOwners});
  out.push_back({"release", kRelease});
  out.push_back({"cancel_requests", kCancelRequests});
  out.push_back({"next_due.retry", kNextRetry});
  out.push_back({"next_due.window", kNextWindow});
  out.push_back({"next_due.queued", kNextQueued});
  out.push_back({"count_by_status", kCountByStatus});
  out.push_back({"prune.old", kPruneOld});
  out.push_back({"prune.beyond", kPruneBeyond});
}
}  // namespace detail

Result<Job> SqliteStore::job_get(JobId id) {
  Result<Job> out = no_such_job(id);
  Status s = db_->read([&](Connection& c) {
    out = get_in(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Job>> SqliteStore::job_list(const JobFilter& f) {
  if (f.limit < 1 || f.limit > 1000)
    return make_error(ErrorClass::invalid, "limit must be between 1 and 1000");
  std::vector<Job> jobs;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(f.status ? kJobListByStatus : !f.type.empty() ? kJobListByType : kJobList);
    if (f.status)
      st.bind(1, std::string(core::to_string(*f.status)));
    else
      st.bind(1);
    st.bind(2, f.type);
    if (f.before)
      st.bind(3, static_cast<std::int64_t>(*f.before));
    else
      st.bind(3);
    st.bind(4, f.limit);
    while (st.executeStep()) jobs.push_back(read_job(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return jobs;
}

Result<std::map<std::string, std::int64_t>> SqliteStore::job_count_by_status() {
  std::map<std::string, std::int64_t> counts;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kCountByStatus);
    while (st.executeStep()) counts[st.getColumn(0).getString()] = st.getColumn(1).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return counts;
}

Result<Job> SqliteStore::job_cancel(JobId id, TimeMs now) {
  Result<Job> out = no_such_job(id);
  Status s = db_->write([&](Connection& c) {
    auto job = get_in(c, id);
    if (!job) return Status(job.error());
    if (core::is_terminal(job->status))
      return Status(make_error(ErrorClass::conflict,
                               "job " + core::format_job_id(id) + " has already finished (" +
                                   std::string(core::to_string(job->status)) + ")"));
    auto& st = c.stmt(job->status == JobStatus::running ? kRequestCancel : kCancelPending);
    if (job->status == JobStatus::running) {
      st.bind(1, static_cast<std::int64_t>(id));
    } else {
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, static_cast<std::int64_t>(id));
    }
    st.exec();
    if (job->status != JobStatus::running) {
      job_event(c, id, "job.cancelled", now);
      if (Status w = workflow_step_finished(c, id, now); !w.ok()) return w;
    }
    out = get_in(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

namespace {
// Queues a finished job again with a fresh retry budget. REQUIRES: inside a write transaction.
Status requeue_fresh(Connection& c, JobId id, TimeMs now) {
  auto& st = c.stmt(kRequeueFresh);
  st.bind(1, static_cast<std::int64_t>(now));
  st.bind(2, static_cast<std::int64_t>(id));
  st.exec();
  auto& dl = c.stmt(kDeleteDeadLetter);
  dl.bind(1, static_cast<std::int64_t>(id));
  dl.exec();
  return Status::Ok();
}
}  // namespace

Result<Job> SqliteStore::job_retry(JobId id, TimeMs now) {
  Result<Job> out = no_such_job(id);
  Status s = db_->write([&](Connection& c) {
    auto job = get_in(c, id);
    if (!job) return Status(job.error());
    if (auto wf = step_workflow(c, id)) {  // a workflow step: its workflow resumes (DESIGN §7)
      if (Status r = workflow_retry_in(c, *wf, now); !r.ok()) return r;
      out = get_in(c, id);
      return Status::Ok();
    }
    if (job->status != JobStatus::failed && job->status != JobStatus::cancelled &&
        job->status != JobStatus::upstream_failed)
      return Status(
          make_error(ErrorClass::conflict, "job " + core::format_job_id(id) + " is " +
                                               std::string(core::to_string(job->status)) +
                                               "; only failed or cancelled jobs can be retried"));
    if (Status r = requeue_fresh(c, id, now); !r.ok()) return r;
    out = get_in(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Job> SqliteStore::dlq_replay(JobId id, TimeMs now) {
  Result<Job> out = no_such_job(id);
  Status s = db_->write([&](Connection& c) {
    auto& q = c.stmt(kHasDeadLetter);
    q.bind(1, static_cast<std::int64_t>(id));
    if (!q.executeStep())
      return Status(
          make_error(ErrorClass::not_found, "no dead letter for job " + core::format_job_id(id)));
    if (Status r = requeue_fresh(c, id, now); !r.ok()) return r;
    out = get_in(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<JobId>> SqliteStore::job_cancel_requests(const std::string& owner) {
  std::vector<JobId> ids;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kCancelRequests);
    st.bind(1, owner);
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return ids;
}

Result<RescueResult> SqliteStore::job_rescue_expired(TimeMs now, int max_expiries) {
  RescueResult out;
  Status s = db_->write([&](Connection& c) {
    auto& sel = c.stmt(kExpired);
    sel.bind(1, static_cast<std::int64_t>(now));
    out = rescue(c, sel, now, max_expiries, "lease expired: the worker stopped heartbeating");
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<RescueResult> SqliteStore::job_rescue_owners(const std::vector<std::string>& owners,
                                                    TimeMs now, int max_expiries) {
  RescueResult out;
  Status s = db_->write([&](Connection& c) {
    for (const auto& owner : owners) {
      auto& sel = c.stmt(kHeldBy);
      sel.bind(1, owner);
      auto r = rescue(c, sel, now, max_expiries, "worker process " + owner + " died");
      out.requeued.insert(out.requeued.end(), r.requeued.begin(), r.requeued.end());
      out.dead_lettered.insert(out.dead_lettered.end(), r.dead_lettered.begin(),
                               r.dead_lettered.end());
      out.cancelled.insert(out.cancelled.end(), r.cancelled.begin(), r.cancelled.end());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<std::string>> SqliteStore::job_lease_owners() {
  std::vector<std::string> owners;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kLeaseOwners);
    while (st.executeStep()) owners.push_back(st.getColumn(0).getString());
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return owners;
}

Result<int> SqliteStore::job_release(const std::string& owner, TimeMs now) {
  int n = 0;
  Status s = db_->write([&](Connection& c) {
    std::vector<JobId> cancelled;
    {
      auto& st = c.stmt(kReleaseCancelled);
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, owner);
      while (st.executeStep()) cancelled.push_back(st.getColumn(0).getInt64());
      st.reset();
    }
    auto& st = c.stmt(kRelease);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, owner);
    n = static_cast<int>(cancelled.size()) + st.exec();
    // A step cancelled here has finished: its workflow moves on as after any other end.
    for (JobId id : cancelled)
      if (Status w = workflow_step_finished(c, id, now); !w.ok()) return w;
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

Result<int> SqliteStore::job_release_leases(const std::vector<Lease>& leases, TimeMs now) {
  int n = 0;
  if (leases.empty()) return n;
  Status s = db_->write([&](Connection& c) {
    n = 0;
    for (const auto& lease : leases) {
      bool cancelled = false;
      {
        auto& st = c.stmt(kReleaseLeaseCancelled);
        st.bind(1, static_cast<std::int64_t>(now));
        st.bind(2, static_cast<std::int64_t>(lease.id));
        st.bind(3, static_cast<std::int64_t>(lease.token));
        cancelled = st.executeStep();
        st.reset();
      }
      if (cancelled) {
        ++n;
        if (Status w = workflow_step_finished(c, lease.id, now); !w.ok()) return w;
        continue;
      }
      auto& st = c.stmt(kReleaseLease);
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, static_cast<std::int64_t>(lease.id));
      st.bind(3, static_cast<std::int64_t>(lease.token));
      n += st.exec();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

Result<std::optional<TimeMs>> SqliteStore::job_next_due() {
  std::optional<TimeMs> due;
  Status s = db_->read([&](Connection& c) {
    for (const char* sql : {kNextRetry, kNextWindow, kNextQueued}) {
      auto& st = c.stmt(sql);
      if (st.executeStep() && !st.getColumn(0).isNull()) {
        TimeMs t = st.getColumn(0).getInt64();
        if (!due || t < *due) due = t;
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return due;
}

Result<int> SqliteStore::job_prune(std::optional<TimeMs> before, std::optional<int> keep) {
  // One small batch per call keeps each write transaction short so workers are never starved,
  // and lets the caller stop between batches.
  int n = 0;
  Status s = db_->write([&](Connection& c) {
    if (before) {
      auto& old = c.stmt(kPruneOld);
      old.bind(1, static_cast<std::int64_t>(*before));
      n = old.exec();
    }
    if (keep) {
      auto& beyond = c.stmt(kPruneBeyond);
      beyond.bind(1, *keep);
      n += beyond.exec();
    }
    // Workflow steps are never pruned one by one: whole finished workflows go together.
    n += workflow_prune_in(c, before, keep);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

}  // namespace hypersdk::store
