#include "store/pg/pg_server_registry.h"

namespace hypersdk::store::pg {
namespace {

constexpr const char* kPruneStale = "DELETE FROM servers WHERE heartbeat < $1::bigint";
constexpr const char* kInsert =
    "INSERT INTO servers (address, pid, host, version, started_at, heartbeat, owner)"
    " VALUES ($1, $2::bigint, $3, $4, $5::bigint, $5::bigint, $6) RETURNING id";
constexpr const char* kHeartbeat =
    "UPDATE servers SET heartbeat = $1::bigint WHERE id = $2::bigint";
constexpr const char* kDelete = "DELETE FROM servers WHERE id = $1::bigint";
constexpr const char* kSetDraining =
    "UPDATE servers SET draining = $1::bigint WHERE id = $2::bigint";
constexpr const char* kLive =
    "SELECT id, address, pid, host, version, started_at, heartbeat, draining, owner FROM servers"
    " WHERE heartbeat >= $1::bigint ORDER BY heartbeat DESC, id DESC";

Error gone(std::int64_t id) {
  return make_error(ErrorClass::not_found,
                    "server registration " + std::to_string(id) + " is gone");
}

}  // namespace

Result<std::int64_t> PgServerRegistry::server_register(const ServerEntry& e, core::TimeMs now,
                                                       core::TimeMs prune_before) {
  std::int64_t id = 0;
  Status s = db_->write(
      [&](Tx& tx) {
        tx.exec(kPruneStale, {p(static_cast<std::int64_t>(prune_before))});
        auto r = tx.exec(
            kInsert, {p(e.address), p(e.pid), p(e.host), p(e.version),
                      p(static_cast<std::int64_t>(now)), e.owner.empty() ? Param{} : p(e.owner)});
        if (r.empty()) return Status(make_error(ErrorClass::internal, "no id returned"));
        id = r.i64(0, 0);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  return id;
}

Status PgServerRegistry::server_heartbeat(std::int64_t id, core::TimeMs now) {
  return db_->write(
      [&](Tx& tx) {
        if (tx.exec(kHeartbeat, {p(static_cast<std::int64_t>(now)), p(id)}).affected() == 0)
          return Status(gone(id));
        return Status::Ok();
      },
      Isolation::read_committed);
}

Status PgServerRegistry::server_deregister(std::int64_t id) {
  return db_->write(
      [&](Tx& tx) {
        tx.exec(kDelete, {p(id)});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Status PgServerRegistry::server_set_draining(std::int64_t id, bool draining) {
  return db_->write(
      [&](Tx& tx) {
        if (tx.exec(kSetDraining, {p(draining), p(id)}).affected() == 0) return Status(gone(id));
        return Status::Ok();
      },
      Isolation::read_committed);
}

Result<std::vector<ServerEntry>> PgServerRegistry::server_list_live(core::TimeMs fresh_after) {
  std::vector<ServerEntry> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    auto r = tx.exec(kLive, {p(static_cast<std::int64_t>(fresh_after))});
    for (int i = 0; i < r.size(); ++i) {
      ServerEntry e;
      e.id = r.i64(i, 0);
      e.address = r.text(i, 1);
      e.pid = r.i64(i, 2);
      e.host = r.text(i, 3);
      e.version = r.text(i, 4);
      e.started_at = r.i64(i, 5);
      e.heartbeat = r.i64(i, 6);
      e.draining = r.i64(i, 7) != 0;
      e.owner = r.text(i, 8);
      out.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
