// Progress of running jobs in the SQLite store: one row per job, replaced by each report.
#include "store/sqlite_store.h"

namespace hypersdk::store {

namespace {
// Only a job still running under the reporting lease: a stale worker's report is dropped.
// started_at survives reports of the same attempt, so the rate spans the whole attempt.
constexpr const char* kRecordProgress =
    "INSERT INTO job_progress (job_id, attempt, done_bytes, total_bytes, started_at, updated_at)"
    " SELECT id, ?3, ?4, ?5, ?6, ?6 FROM jobs"
    " WHERE id = ?1 AND lease_token = ?2 AND status = 'running'"
    " ON CONFLICT (job_id) DO UPDATE SET done_bytes = excluded.done_bytes,"
    " total_bytes = excluded.total_bytes, updated_at = excluded.updated_at,"
    " started_at = CASE WHEN attempt = excluded.attempt THEN started_at"
    " ELSE excluded.started_at END, attempt = excluded.attempt";
constexpr const char* kGetProgress =
    "SELECT attempt, done_bytes, total_bytes, started_at, updated_at FROM job_progress"
    " WHERE job_id = ?";
}  // namespace

Status SqliteStore::job_progress_record(const std::vector<ProgressReport>& reports) {
  if (reports.empty()) return Status::Ok();
  return db_->write([&](Connection& c) {
    for (const auto& r : reports) {
      auto& st = c.stmt(kRecordProgress);
      st.bind(1, static_cast<std::int64_t>(r.id));
      st.bind(2, r.token);
      st.bind(3, r.attempt);
      st.bind(4, r.done);
      st.bind(5, r.total);
      st.bind(6, static_cast<std::int64_t>(r.at));
      st.exec();
      st.reset();
    }
    return Status::Ok();
  });
}

Result<std::optional<JobProgress>> SqliteStore::job_progress_get(JobId id) {
  std::optional<JobProgress> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kGetProgress);
    st.bind(1, static_cast<std::int64_t>(id));
    if (st.executeStep()) {
      JobProgress p;
      p.job_id = id;
      p.attempt = st.getColumn(0).getInt();
      p.done = st.getColumn(1).getInt64();
      p.total = st.getColumn(2).getInt64();
      p.started_at = st.getColumn(3).getInt64();
      p.updated_at = st.getColumn(4).getInt64();
      out = p;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
