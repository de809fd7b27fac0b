// Jobs leased ahead on the SQLite store: claimed with their attempt not yet started
// (started_at NULL), and the start of each attempt recorded before its handler runs. The
// rescue (sqlite_job_admin.cpp) requeues a job whose attempt never started without counting
// it, so killing serve with a batch leased ahead charges none of them an attempt.
#include "store/job_start.h"
#include "store/sqlite_job_ops.h"

namespace hypersdk::store::sqlite {

namespace {

constexpr const char* kUnstart = "UPDATE jobs SET started_at = NULL WHERE id = ?";
// Fenced like a heartbeat: only the attempt the caller still holds.
constexpr const char* kStart =
    "UPDATE jobs SET started_at = ?1 WHERE id = ?2 AND lease_token = ?3 AND status = 'running'";

}  // namespace

Result<std::vector<Job>> job_claim_ahead(Database& db, int max, TimeMs now,
                                         std::chrono::milliseconds ttl, const std::string& owner) {
  std::vector<Job> jobs;
  if (max <= 0) return jobs;
  Status s = db.write([&](Connection& c) {
    jobs = detail::job_claim_in(c, max, now, ttl, owner);
    for (auto& j : jobs) {
      auto& st = c.stmt(kUnstart);
      st.bind(1, static_cast<std::int64_t>(j.id));
      st.exec();
      j.started_at.reset();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return jobs;
}

Result<std::vector<JobId>> job_start(Database& db, const std::vector<Lease>& leases, TimeMs now) {
  std::vector<JobId> lost;
  if (leases.empty()) return lost;
  Status s = db.write([&](Connection& c) {
    lost = detail::lease_update_in(c, kStart, now, leases);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return lost;
}

}  // namespace hypersdk::store::sqlite
