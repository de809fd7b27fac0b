// Dispatches job_start.h's operations to the store that implements them.
#include "store/job_start.h"

#include "store/pg/pg_store.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {

namespace sqlite {
Result<std::vector<Job>> job_claim_ahead(Database& db, int max, TimeMs now,
                                         std::chrono::milliseconds ttl, const std::string& owner);
Result<std::vector<JobId>> job_start(Database& db, const std::vector<Lease>& leases, TimeMs now);
}  // namespace sqlite
namespace pg {
Result<std::vector<Job>> job_claim_ahead(PgStore& store, int max, TimeMs now,
                                         std::chrono::milliseconds ttl, const std::string& owner);
Result<std::vector<JobId>> job_start(PgStore& store, const std::vector<Lease>& leases, TimeMs now);
}  // namespace pg

Result<std::vector<Job>> job_claim_ahead(Store& store, int max, TimeMs now,
                                         std::chrono::milliseconds ttl, const std::string& owner) {
  if (auto* s = dynamic_cast<SqliteStore*>(&store))
    return sqlite::job_claim_ahead(s->database(), max, now, ttl, owner);
  if (auto* s = dynamic_cast<pg::PgStore*>(&store))
    return pg::job_claim_ahead(*s, max, now, ttl, owner);
  return store.job_claim(max, now, ttl, owner);
}

Result<std::vector<JobId>> job_start(Store& store, const std::vector<Lease>& leases, TimeMs now) {
  if (auto* s = dynamic_cast<SqliteStore*>(&store))
    return sqlite::job_start(s->database(), leases, now);
  if (auto* s = dynamic_cast<pg::PgStore*>(&store)) return pg::job_start(*s, leases, now);
  return std::vector<JobId>{};  // the fallback claim started them
}

}  // namespace hypersdk::store
