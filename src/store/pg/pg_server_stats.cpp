// store::server_stats (store/server_stats.h) on PostgreSQL: pg_database_size, the sessions of
// pg_stat_activity on this database by state, and max_connections, in one snapshot.
#include "store/pg/pg_backend.h"
#include "store/server_stats.h"

namespace hypersdk::store {

namespace {
constexpr const char* kSizeAndLimit =
    "SELECT pg_database_size(current_database()), current_setting('max_connections')::bigint";
// Every state pg_stat_activity may show folds into a small closed set (a label's values); a
// session of another role whose state this role may not see (NULL) counts as "other".
constexpr const char* kConnections =
    "SELECT CASE WHEN state IN ('active', 'idle', 'idle in transaction')"
    " THEN replace(state, ' ', '_') ELSE 'other' END, count(*)"
    " FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1";
}  // namespace

Result<std::optional<ServerStats>> server_stats(StoreBackend& backend) {
  auto* pg = dynamic_cast<pg::PgBackend*>(&backend);
  if (!pg) return std::optional<ServerStats>();
  ServerStats out;
  Status s = pg->database().read([&](pg::Tx& tx) {
    out = ServerStats{};
    pg::Rows r = tx.exec(kSizeAndLimit);
    out.size_bytes = r.i64(0, 0);
    out.max_connections = r.i64(0, 1);
    for (const char* state : {"active", "idle", "idle_in_transaction", "other"})
      out.connections[state] = 0;
    pg::Rows c = tx.exec(kConnections);
    for (int i = 0; i < c.size(); ++i) out.connections[c.text(i, 0)] = c.i64(i, 1);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return std::optional<ServerStats>(std::move(out));
}

}  // namespace hypersdk::store
