// Progress of running jobs in the PostgreSQL store: one row per job, replaced by each report.
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {
// Only a job still running under the reporting lease: a stale worker's report is dropped.
// started_at survives reports of the same attempt, so the rate spans the whole attempt.
constexpr const char* kRecordProgress =
    "INSERT INTO job_progress (job_id, attempt, done_bytes, total_bytes, started_at, updated_at)"
    " SELECT id, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $6::bigint FROM jobs"
    " WHERE id = $1::bigint AND lease_token = $2::bigint AND status = 'running'"
    " ON CONFLICT (job_id) DO UPDATE SET done_bytes = excluded.done_bytes,"
    " total_bytes = excluded.total_bytes, updated_at = excluded.updated_at,"
    " started_at = CASE WHEN job_progress.attempt = excluded.attempt"
    " THEN job_progress.started_at ELSE excluded.started_at END, attempt = excluded.attempt";
constexpr const char* kGetProgress =
    "SELECT attempt, done_bytes, total_bytes, started_at, updated_at FROM job_progress"
    " WHERE job_id = $1::bigint";
}  // namespace

// READ COMMITTED: a report touches only its own job's row, fenced by the lease token, like a
// heartbeat.
Status PgStore::job_progress_record(const std::vector<ProgressReport>& reports) {
  if (reports.empty()) return Status::Ok();
  return db_->write(
      [&](Tx& tx) {
        for (const auto& r : reports)
          tx.exec(kRecordProgress, {p(std::int64_t{r.id}), p(r.token), p(r.attempt), p(r.done),
                                    p(r.total), p(std::int64_t{r.at})});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Result<std::optional<JobProgress>> PgStore::job_progress_get(JobId id) {
  return db_->read_value([&](Tx& tx) -> std::optional<JobProgress> {
    auto r = tx.exec(kGetProgress, {p(std::int64_t{id})});
    if (r.empty()) return std::nullopt;
    JobProgress pr;
    pr.job_id = id;
    pr.attempt = static_cast<int>(r.i64(0, 0));
    pr.done = r.i64(0, 1);
    pr.total = r.i64(0, 2);
    pr.started_at = r.i64(0, 3);
    pr.updated_at = r.i64(0, 4);
    return pr;
  });
}

}  // namespace hypersdk::store::pg
