#include "engine/runtime_pg.h"

#include "store/pg/pg_database.h"

namespace hypersdk::engine {

Error refuse_postgres_serve(const std::string& url) {
  auto db = store::pg::PgDatabase::open(url);
  if (!db) return db.error();
  return invalid_error(
      "serve on PostgreSQL (db.url " + (*db)->url_redacted() +
      ") is not supported yet: the job store is ready, but the notification outbox, the audit "
      "log, the server registry, the backup and upload records, the /metrics store statistics "
      "and the WAL checkpointer still need SQLite; unset db.url (or --db FILE) to serve on "
      "SQLite");
}

}  // namespace hypersdk::engine
