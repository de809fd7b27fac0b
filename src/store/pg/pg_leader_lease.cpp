#include "store/pg/pg_leader_lease.h"

namespace hypersdk::store::pg {
namespace {

// A placeholder row (expired, token 0) so that FOR UPDATE always has a row to lock: the first
// taker then takes it over like any expired lease (token 1).
constexpr const char* kEnsure =
    "INSERT INTO leader_lease (name, holder, token, acquired_at, expires_at)"
    " VALUES ($1, '', 0, 0, 0) ON CONFLICT (name) DO NOTHING";
constexpr const char* kLock =
    "SELECT holder, token, acquired_at, expires_at FROM leader_lease WHERE name = $1 FOR UPDATE";
constexpr const char* kGet =
    "SELECT holder, token, acquired_at, expires_at FROM leader_lease WHERE name = $1";
constexpr const char* kUpdate =
    "UPDATE leader_lease SET holder = $2, token = $3::bigint, acquired_at = $4::bigint,"
    " expires_at = $5::bigint WHERE name = $1";
constexpr const char* kRelease =
    "UPDATE leader_lease SET expires_at = $1::bigint WHERE name = $2 AND holder = $3"
    " AND token = $4::bigint AND expires_at > $1::bigint";

LeaderState row_of(const Rows& r) {
  LeaderState s;
  s.holder = r.text(0, 0);
  s.token = r.i64(0, 1);
  s.acquired_at = r.i64(0, 2);
  s.expires_at = r.i64(0, 3);
  return s;
}

}  // namespace

Result<LeaderState> PgLeaderLease::leader_acquire_or_renew(const std::string& node,
                                                           core::TimeMs now,
                                                           std::chrono::milliseconds ttl) {
  if (node.empty() || ttl.count() <= 0)
    return invalid_error("leader lease: node must not be empty and ttl must be positive");
  LeaderState out;
  Status s = db_->write(
      [&](Tx& tx) {
        tx.exec(kEnsure, {p(name_)});
        auto r = tx.exec(kLock, {p(name_)});
        if (r.empty()) return Status(make_error(ErrorClass::internal, "leader lease row missing"));
        out = leader_decide(row_of(r), node, now, ttl);
        if (out.leading)
          tx.exec(kUpdate, {p(name_), p(out.holder), p(out.token),
                            p(static_cast<std::int64_t>(out.acquired_at)),
                            p(static_cast<std::int64_t>(out.expires_at))});
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  return out;
}

Status PgLeaderLease::leader_release(const std::string& node, std::int64_t token,
                                     core::TimeMs now) {
  return db_->write(
      [&](Tx& tx) {
        tx.exec(kRelease, {p(static_cast<std::int64_t>(now)), p(name_), p(node), p(token)});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Result<LeaderState> PgLeaderLease::leader_get(core::TimeMs now) {
  LeaderState out;
  Status s = db_->read([&](Tx& tx) {
    out = LeaderState{};
    auto r = tx.exec(kGet, {p(name_)});
    if (!r.empty() && r.i64(0, 1) > 0) {
      out = row_of(r);
      out.leading = out.expires_at > now;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
