#include "store/server_registry.h"

namespace hypersdk::store {
namespace {

constexpr const char* kPruneStale = "DELETE FROM servers WHERE heartbeat < ?";
constexpr const char* kInsert =
    "INSERT INTO servers (address, pid, host, version, started_at, heartbeat, owner)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) RETURNING id";
constexpr const char* kHeartbeat = "UPDATE servers SET heartbeat = ?1 WHERE id = ?2";
constexpr const char* kDelete = "DELETE FROM servers WHERE id = ?";
constexpr const char* kSetDraining = "UPDATE servers SET draining = ?1 WHERE id = ?2";
constexpr const char* kHasTable =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'servers'";
constexpr const char* kHasDraining =
    "SELECT 1 FROM pragma_table_info('servers') WHERE name = 'draining'";
constexpr const char* kLive =
    "SELECT id, address, pid, host, version, started_at, heartbeat, draining, owner FROM servers"
    " WHERE heartbeat >= ? ORDER BY heartbeat DESC, id DESC";
// Before migration 0012.
constexpr const char* kLiveV4 =
    "SELECT id, address, pid, host, version, started_at, heartbeat, 0, NULL FROM servers"
    " WHERE heartbeat >= ? ORDER BY heartbeat DESC, id DESC";

}  // namespace

Result<std::int64_t> SqliteServerRegistry::server_register(const ServerEntry& e, core::TimeMs now,
                                                           core::TimeMs prune_before) {
  std::int64_t id = 0;
  Status s = db_->write([&](Connection& c) {
    auto& prune = c.stmt(kPruneStale);
    prune.bind(1, static_cast<std::int64_t>(prune_before));
    prune.exec();
    auto& ins = c.stmt(kInsert);
    ins.bind(1, e.address);
    ins.bind(2, e.pid);
    ins.bind(3, e.host);
    ins.bind(4, e.version);
    ins.bind(5, static_cast<std::int64_t>(now));
    if (e.owner.empty())
      ins.bind(6);
    else
      ins.bind(6, e.owner);
    if (!ins.executeStep()) return Status(make_error(ErrorClass::internal, "no id returned"));
    id = ins.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return id;
}

Status SqliteServerRegistry::server_heartbeat(std::int64_t id, core::TimeMs now) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kHeartbeat);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, id);
    if (st.exec() == 0)
      return Status(make_error(ErrorClass::not_found,
                               "server registration " + std::to_string(id) + " is gone"));
    return Status::Ok();
  });
}

Status SqliteServerRegistry::server_deregister(std::int64_t id) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kDelete);
    st.bind(1, id);
    st.exec();
    return Status::Ok();
  });
}

Status SqliteServerRegistry::server_set_draining(std::int64_t id, bool draining) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kSetDraining);
    st.bind(1, draining ? 1 : 0);
    st.bind(2, id);
    if (st.exec() == 0)
      return Status(make_error(ErrorClass::not_found,
                               "server registration " + std::to_string(id) + " is gone"));
    return Status::Ok();
  });
}

Result<std::vector<ServerEntry>> SqliteServerRegistry::server_list_live(core::TimeMs fresh_after) {
  std::vector<ServerEntry> out;
  Status s = db_->read([&](Connection& c) {
    auto& has = c.stmt(kHasTable);
    if (!has.executeStep()) return Status::Ok();
    auto& cols = c.stmt(kHasDraining);
    auto& st = c.stmt(cols.executeStep() ? kLive : kLiveV4);
    st.bind(1, static_cast<std::int64_t>(fresh_after));
    while (st.executeStep()) {
      ServerEntry e;
      e.id = st.getColumn(0).getInt64();
      e.address = st.getColumn(1).getString();
      e.pid = st.getColumn(2).getInt64();
      e.host = st.getColumn(3).getString();
      e.version = st.getColumn(4).getString();
      e.started_at = st.getColumn(5).getInt64();
      e.heartbeat = st.getColumn(6).getInt64();
      e.draining = st.getColumn(7).getInt64() != 0;
      e.owner = st.getColumn(8).getString();
      out.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
