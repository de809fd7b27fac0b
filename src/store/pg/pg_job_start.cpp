// Jobs leased ahead on the PostgreSQL store (the contract is store/job_start.h; the SQLite
// twin is sqlite_job_start.cpp). The claim is job_claim's, then its
// attempts are marked not started in a second short transaction: kept apart from pg_jobs.cpp's
// claim so that its statement stays one. Between the two commits the jobs count as started,
// as every claimed job did before; a serve killed there charges them, nothing worse.
#include <algorithm>
#include <string>

#include "store/pg/pg_arrays.h"
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {

// Only attempts still held under the claim's token, and not yet started.
constexpr const char* kUnstart =
    "UPDATE jobs SET started_at = NULL"
    " FROM unnest($1::bigint[], $2::bigint[]) AS l(id, token)"
    " WHERE jobs.id = l.id AND jobs.lease_token = l.token AND jobs.status = 'running'"
    " RETURNING jobs.id";
constexpr const char* kStart =
    "UPDATE jobs SET started_at = $1::bigint"
    " FROM unnest($2::bigint[], $3::bigint[]) AS l(id, token)"
    " WHERE jobs.id = l.id AND jobs.lease_token = l.token AND jobs.status = 'running'"
    " RETURNING jobs.id";

}  // namespace

Result<std::vector<Job>> job_claim_ahead(PgStore& store, int max, TimeMs now,
                                         std::chrono::milliseconds ttl, const std::string& owner) {
  auto jobs = store.job_claim(max, now, ttl, owner);
  if (!jobs || jobs->empty()) return jobs;
  std::vector<std::int64_t> ids, tokens;
  for (const auto& j : *jobs) {
    ids.push_back(j.id);
    tokens.push_back(j.lease_token);
  }
  std::vector<JobId> unstarted;
  Status s = store.database().write(
      [&](Tx& tx) {
        unstarted.clear();
        auto r = tx.exec(kUnstart, {p(int_array(ids)), p(int_array(tokens))});
        for (int i = 0; i < r.size(); ++i) unstarted.push_back(r.i64(i, 0));
        return Status::Ok();
      },
      Isolation::read_committed);
  // The claim stands either way: a job not marked here simply counts as started.
  if (!s.ok()) return jobs;
  for (auto& j : *jobs)
    if (std::find(unstarted.begin(), unstarted.end(), j.id) != unstarted.end())
      j.started_at.reset();
  return jobs;
}

Result<std::vector<JobId>> job_start(PgStore& store, const std::vector<Lease>& leases, TimeMs now) {
  std::vector<JobId> lost;
  if (leases.empty()) return lost;
  std::vector<std::int64_t> ids, tokens;
  for (const auto& l : leases) {
    ids.push_back(l.id);
    tokens.push_back(l.token);
  }
  Status s = store.database().write(
      [&](Tx& tx) {
        lost.clear();
        auto r = tx.exec(kStart, {p(now), p(int_array(ids)), p(int_array(tokens))});
        std::vector<JobId> kept;
        for (int i = 0; i < r.size(); ++i) kept.push_back(r.i64(i, 0));
        for (const auto& l : leases)
          if (std::find(kept.begin(), kept.end(), l.id) == kept.end()) lost.push_back(l.id);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  return lost;
}

}  // namespace hypersdk::store::pg
