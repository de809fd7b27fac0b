// The leader lease (schema/0012_cluster.sql, table leader_lease): several serve processes on
// one database choose the one that runs the maintenance that must run once (lease reaper,
// retention pruner) without a consensus protocol of their own: the database is the
// coordinator. One row per lease name holds the holder, a fencing token and an expiry.
//
// Rules, the same on both drivers (one transaction each):
//  - no row, or the row's lease expired: the caller takes it; the token grows by one (a
//    takeover, also by the previous holder after its lease lapsed, since another node may
//    have seen it lapse);
//  - the caller holds it, unexpired: renewed (expires_at = now + ttl), the token unchanged;
//  - another node holds it, unexpired: nothing changes; the answer names the holder.
// A leader that lost the lease finds out from the token: before each batch of leader-only
// writes it reads the row (leader_get) and goes on only when holder and token are still its.
//
// Times are real UTC milliseconds (never a test clock: every node must read the row alike).
// Implementations: SqliteLeaderLease below (one node, or several processes on one file);
// pg::PgLeaderLease (store/pg/pg_leader_lease.h).
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store {

// The lease the maintenance services run under.
inline constexpr const char* kMaintenanceLease = "maintenance";

struct LeaderState {
  bool leading = false;    // the caller holds the lease now (leader_get: someone does)
  std::string holder;      // empty: nobody ever took it
  std::int64_t token = 0;  // the fencing token; grows on every takeover
  core::TimeMs acquired_at = 0;
  core::TimeMs expires_at = 0;
};

class LeaderLease {
 public:
  virtual ~LeaderLease() = default;
  // REQUIRES: node not empty, ttl > 0. See the rules above.
  virtual Result<LeaderState> leader_acquire_or_renew(const std::string& node, core::TimeMs now,
                                                      std::chrono::milliseconds ttl) = 0;
  // Gives the lease up (expires now) when `node` still holds it with `token`, so another node
  // takes over at once instead of after the ttl (a clean stop). Otherwise does nothing.
  virtual Status leader_release(const std::string& node, std::int64_t token, core::TimeMs now) = 0;
  // The row as it is; `leading` is whether its lease is unexpired at `now`.
  virtual Result<LeaderState> leader_get(core::TimeMs now) = 0;
};

class SqliteLeaderLease final : public LeaderLease {
 public:
  // REQUIRES: `db` outlives this object.
  explicit SqliteLeaderLease(Database& db, std::string name = kMaintenanceLease)
      : db_(&db), name_(std::move(name)) {}
  Result<LeaderState> leader_acquire_or_renew(const std::string& node, core::TimeMs now,
                                              std::chrono::milliseconds ttl) override;
  Status leader_release(const std::string& node, std::int64_t token, core::TimeMs now) override;
  Result<LeaderState> leader_get(core::TimeMs now) override;

 private:
  Database* db_;
  std::string name_;
};

// The decision both drivers make on the row read under their lock: what the row becomes.
// `row` is nullopt when there is none. Pure, so both drivers share it.
LeaderState leader_decide(const std::optional<LeaderState>& row, const std::string& node,
                          core::TimeMs now, std::chrono::milliseconds ttl);

}  // namespace hypersdk::store
