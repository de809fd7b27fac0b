// The database server's own figures for /metrics (engine/db_metrics.cpp), in place of SQLite's
// file and WAL sizes: on PostgreSQL the database's size, the connections to it by state and
// the server's connection limit, read in one snapshot. A free function beside StoreBackend
// (store/backend.h) rather than a method of it, so the store's drivers stay the only code
// that knows which one is open.
// Thread safety: as the backend's (any thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/error.h"
#include "store/backend.h"

namespace hypersdk::store {

struct ServerStats {
  std::int64_t size_bytes = 0;                      // pg_database_size(current_database())
  std::map<std::string, std::int64_t> connections;  // to this database, by state
  std::int64_t max_connections = 0;                 // the server's limit, for all databases
};

// nullopt on SQLite (its figures are its file's: sqlite()); an error when the read fails.
Result<std::optional<ServerStats>> server_stats(StoreBackend& backend);

}  // namespace hypersdk::store
