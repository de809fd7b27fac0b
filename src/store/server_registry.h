// The registry of running `serve` processes (schema/0004_servers.sql): a serve registers
// where its API listens and heartbeats; the CLI asks for the live ones and talks to one of
// them instead of the database. Kept beside the store port rather than in it: it is
// bookkeeping about processes, not job state, and a PostgreSQL deployment would keep the
// same rows in its own table through the same four operations.
//
// Times are real UTC milliseconds from the caller (never a test clock: a registry row must
// mean the same to every process reading it).
// Thread safety: as Database: every method may be called from any thread.
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
};

class ServerRegistry {
 public:
  // REQUIRES: `db` outlives the registry.
  explicit ServerRegistry(Database& db) : db_(&db) {}

  // Inserts the entry (id, started_at and heartbeat set to now); returns its id. Rows whose
  // heartbeat is older than `prune_before` (servers that died without deregistering) go in
  // the same transaction, so the table stays small.
  Result<std::int64_t> server_register(const ServerEntry& entry, core::TimeMs now,
                                       core::TimeMs prune_before);
  // Refreshes the heartbeat. Error not_found when the row is gone (pruned after a long stall,
  // or deleted by hand): the caller registers again.
  Status server_heartbeat(std::int64_t id, core::TimeMs now);
  Status server_deregister(std::int64_t id);
  // Entries whose heartbeat is at or after `fresh_after`, the most recent heartbeat first.
  // An empty list on a database older than migration 0004 (no table yet).
  Result<std::vector<ServerEntry>> server_list_live(core::TimeMs fresh_after);

 private:
  Database* db_;
};

}  // namespace hypersdk::store
