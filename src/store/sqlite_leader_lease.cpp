#include "store/leader_lease.h"

#include <optional>

namespace hypersdk::store {
namespace {

constexpr const char* kGet =
    "SELECT holder, token, acquired_at, expires_at FROM leader_lease WHERE name = ?";
constexpr const char* kUpsert =
    "INSERT INTO leader_lease (name, holder, token, acquired_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
    " token = excluded.token, acquired_at = excluded.acquired_at,"
    " expires_at = excluded.expires_at";
constexpr const char* kHasTable =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leader_lease'";
constexpr const char* kRelease =
    "UPDATE leader_lease SET expires_at = ?1 WHERE name = ?2 AND holder = ?3 AND token = ?4"
    " AND expires_at > ?1";

std::optional<LeaderState> read_row(Connection& c, const std::string& name) {
  auto& st = c.stmt(kGet);
  st.bind(1, name);
  if (!st.executeStep()) return std::nullopt;
  LeaderState s;
  s.holder = st.getColumn(0).getString();
  s.token = st.getColumn(1).getInt64();
  s.acquired_at = st.getColumn(2).getInt64();
  s.expires_at = st.getColumn(3).getInt64();
  return s;
}

}  // namespace

LeaderState leader_decide(const std::optional<LeaderState>& row, const std::string& node,
                          core::TimeMs now, std::chrono::milliseconds ttl) {
  const core::TimeMs until = now + ttl.count();
  if (row && row->expires_at > now) {
    LeaderState s = *row;
    s.leading = s.holder == node;
    if (s.leading) s.expires_at = until;  // a renewal: the token stays
    return s;
  }
  // No row or an expired lease: a takeover.
  LeaderState s;
  s.leading = true;
  s.holder = node;
  s.token = row ? row->token + 1 : 1;
  s.acquired_at = now;
  s.expires_at = until;
  return s;
}

Result<LeaderState> SqliteLeaderLease::leader_acquire_or_renew(const std::string& node,
                                                               core::TimeMs now,
                                                               std::chrono::milliseconds ttl) {
  if (node.empty() || ttl.count() <= 0)
    return invalid_error("leader lease: node must not be empty and ttl must be positive");
  LeaderState out;
  // One write transaction (BEGIN IMMEDIATE): the read and the update see no other writer.
  Status s = db_->write([&](Connection& c) {
    const auto row = read_row(c, name_);
    out = leader_decide(row, node, now, ttl);
    if (!out.leading) return Status::Ok();
    auto& up = c.stmt(kUpsert);
    up.bind(1, name_);
    up.bind(2, out.holder);
    up.bind(3, out.token);
    up.bind(4, static_cast<std::int64_t>(out.acquired_at));
    up.bind(5, static_cast<std::int64_t>(out.expires_at));
    up.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteLeaderLease::leader_release(const std::string& node, std::int64_t token,
                                         core::TimeMs now) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kRelease);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, name_);
    st.bind(3, node);
    st.bind(4, token);
    st.exec();
    return Status::Ok();
  });
}

Result<LeaderState> SqliteLeaderLease::leader_get(core::TimeMs now) {
  LeaderState out;
  Status s = db_->read([&](Connection& c) {
    // A database older than 0012 (the CLI reads it before serve migrated it): nobody leads.
    if (!c.stmt(kHasTable).executeStep()) return Status::Ok();
    if (auto row = read_row(c, name_)) {
      out = *row;
      out.leading = out.expires_at > now;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
