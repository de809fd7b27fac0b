// The server registry (store/server_registry.h) on PostgreSQL: the nodes of a cluster sharing
// one database, each a row of `servers` (schema/pg/0004_servers.sql, 0012_cluster.sql). Every
// method is one short READ COMMITTED transaction: each touches one row by id (or deletes stale
// ones), so nothing needs SERIALIZABLE.
// Thread safety: as PgDatabase: every method may be called from any thread.
#pragma once

#include "store/pg/pg_database.h"
#include "store/server_registry.h"

namespace hypersdk::store::pg {

class PgServerRegistry final : public ServerRegistry {
 public:
  // REQUIRES: `db` outlives the registry.
  explicit PgServerRegistry(PgDatabase& db) : db_(&db) {}

  Result<std::int64_t> server_register(const ServerEntry& entry, core::TimeMs now,
                                       core::TimeMs prune_before) override;
  Status server_heartbeat(std::int64_t id, core::TimeMs now) override;
  Status server_deregister(std::int64_t id) override;
  Status server_set_draining(std::int64_t id, bool draining) override;
  Result<std::vector<ServerEntry>> server_list_live(core::TimeMs fresh_after) override;

 private:
  PgDatabase* db_;
};

}  // namespace hypersdk::store::pg
