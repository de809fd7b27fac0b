// Job lifecycle operations of the PostgreSQL store: enqueue, claim, heartbeat (completions are
// in pg_job_complete.cpp). Claims and heartbeats run READ COMMITTED and lock their rows with
// FOR UPDATE SKIP LOCKED, so several nodes claim different jobs without waiting for each
// other; enqueue runs SERIALIZABLE (idempotency keys).
#include <algorithm>
#include <tuple>

#include "store/pg/pg_arrays.h"
#include "store/pg/pg_event_row.h"
#include "store/pg/pg_job_complete.h"
#include "store/pg/pg_job_row.h"
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

using detail::kWindowRecheckMs;
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

Param i64(std::int64_t v) {
  return p(v);
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

std::vector<Job> pg_job_claim_in(Tx& tx, int max, TimeMs now, std::chrono::milliseconds ttl,
                                 const std::string& owner) {
  std::vector<Job> jobs;
  if (max <= 0) return jobs;
  promote_due(tx, now);
  auto r = tx.exec(kClaim, {p(owner), i64(now + ttl.count()), i64(now), p(max)});
  for (int i = 0; i < r.size(); ++i) jobs.push_back(read_job(r, i));
  std::vector<JobId> ids;
  for (const auto& j : jobs) ids.push_back(j.id);
  std::sort(ids.begin(), ids.end());
  pg_job_events(tx, ids, "job.started", now);
  // RETURNING has no defined order; hand jobs out in claim order.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    if (a.spec.priority != b.spec.priority) return a.spec.priority > b.spec.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
  });
  return jobs;
}

Result<std::vector<Job>> PgStore::job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                            const std::string& owner) {
  std::vector<Job> jobs;
  if (max <= 0) return jobs;
  Status s = db_->write(
      [&](Tx& tx) {
        jobs = pg_job_claim_in(tx, max, now, ttl, owner);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
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

}  // namespace hypersdk::store::pg
