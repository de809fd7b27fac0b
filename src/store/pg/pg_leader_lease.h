// The leader lease (store/leader_lease.h) on PostgreSQL, for several nodes on one database.
// acquire_or_renew is one READ COMMITTED transaction: INSERT ... ON CONFLICT DO NOTHING makes
// sure the row exists, SELECT ... FOR UPDATE locks it, so nodes deciding at once decide one
// after another on the row as the previous one left it (two can never both take it).
// Thread safety: as PgDatabase.
#pragma once

#include "store/leader_lease.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

class PgLeaderLease final : public LeaderLease {
 public:
  // REQUIRES: `db` outlives this object.
  explicit PgLeaderLease(PgDatabase& db, std::string name = kMaintenanceLease)
      : db_(&db), name_(std::move(name)) {}
  Result<LeaderState> leader_acquire_or_renew(const std::string& node, core::TimeMs now,
                                              std::chrono::milliseconds ttl) override;
  Status leader_release(const std::string& node, std::int64_t token, core::TimeMs now) override;
  Result<LeaderState> leader_get(core::TimeMs now) override;

 private:
  PgDatabase* db_;
  std::string name_;
};

}  // namespace hypersdk::store::pg
