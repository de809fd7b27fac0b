// The registry of running `serve` processes (schema/0004_servers.sql, 0012_cluster.sql): a serve
// registers where its API listens and heartbeats; the CLI asks for the live ones and talks to
// one of them instead of the database; `cluster status` lists them with their running jobs.
// A port with two implementations: SqliteServerRegistry below, pg::PgServerRegistry
// (store/pg/pg_server_registry.h) for several nodes on one PostgreSQL. Kept beside the store
// port rather than in it: it is bookkeeping about processes, not job state.
//
// Times are real UTC milliseconds from the caller (never a test clock: a registry row must
// mean the same to every process reading it).
// Thread safety: every method may be called from any thread.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store {

struct ServerEntry {
  std::int64_t id = 0;
  std::string address;  // base URL, e.g. http://127.0.0.1:8080
  std::int64_t pid = 0;
  std::string host;
  std::string version;
  core::TimeMs started_at = 0;
  core::TimeMs heartbeat = 0;
  bool draining = false;  // asked to drain: claims nothing new (0012)
  std::string owner;      // its worker pool's lease owner id (jobs.lease_owner); may be empty
};

class ServerRegistry {
 public:
  virtual ~ServerRegistry() = default;

  // Inserts the entry (id, started_at and heartbeat set to now, draining false); returns its
  // id. Rows whose heartbeat is older than `prune_before` (servers that died without
  // deregistering) go in the same transaction, so the table stays small.
  virtual Result<std::int64_t> server_register(const ServerEntry& entry, core::TimeMs now,
                                               core::TimeMs prune_before) = 0;
  // Refreshes the heartbeat. Error not_found when the row is gone (pruned after a long stall,
  // or deleted by hand): the caller registers again.
  virtual Status server_heartbeat(std::int64_t id, core::TimeMs now) = 0;
  virtual Status server_deregister(std::int64_t id) = 0;
  // Marks the node draining (or not). Error not_found when the row is gone.
  virtual Status server_set_draining(std::int64_t id, bool draining) = 0;
  // Entries whose heartbeat is at or after `fresh_after`, the most recent heartbeat first.
  // An empty list on a database older than migration 0004 (no table yet).
  virtual Result<std::vector<ServerEntry>> server_list_live(core::TimeMs fresh_after) = 0;
};

class SqliteServerRegistry final : public ServerRegistry {
 public:
  // REQUIRES: `db` outlives the registry.
  explicit SqliteServerRegistry(Database& db) : db_(&db) {}

  Result<std::int64_t> server_register(const ServerEntry& entry, core::TimeMs now,
                                       core::TimeMs prune_before) override;
  Status server_heartbeat(std::int64_t id, core::TimeMs now) override;
  Status server_deregister(std::int64_t id) override;
  Status server_set_draining(std::int64_t id, bool draining) override;
  // On a database older than 0012 (a CLI reading it before serve migrated it) the entries
  // have draining false and no owner.
  Result<std::vector<ServerEntry>> server_list_live(core::TimeMs fresh_after) override;

 private:
  Database* db_;
};

}  // namespace hypersdk::store
