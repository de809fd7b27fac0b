// StoreBackend::open and the SQLite backend: the ports over one store::Database.
#include "store/backend.h"

#include "store/migrations.h"
#include "store/pg/pg_backend.h"
#include "store/pg/pg_database.h"
#include "store/sqlite_outbox.h"
#include "store/sqlite_store.h"
#include "store/workflow_stats.h"

namespace hypersdk::store {

namespace {

class SqliteBackend final : public StoreBackend {
 public:
  explicit SqliteBackend(std::shared_ptr<Database> db) : db_(std::move(db)) {
    store = std::make_shared<SqliteStore>(db_);
    outbox = std::make_shared<SqliteOutbox>(db_);
    audit = std::make_shared<SqliteAuditLog>(db_);
    backups = std::make_shared<SqliteBackupStore>(db_);
    uploads = std::make_shared<SqliteUploadStore>(db_);
    fire_runs = std::make_shared<SqliteScheduleFireRuns>(db_);
    servers = std::make_shared<SqliteServerRegistry>(*db_);
    leader_lease = std::make_shared<SqliteLeaderLease>(*db_);
  }

  const char* driver() const override { return "sqlite"; }
  std::string describe() const override { return db_->path(); }
  std::shared_ptr<Database> sqlite() const override { return db_; }
  MigrationReport migration() const override { return db_->migration(); }
  Result<int> schema_version_read() override { return db_->schema_version_read(); }
  int schema_version_wanted() const override { return latest_schema_version(); }
  WriteHealth write_health() const override { return db_->write_health(); }
  Status probe_write(core::TimeMs now) override { return db_->probe_write(now); }
  Status checkpoint() override { return db_->checkpoint(); }
  Result<std::vector<OutcomeCount>> job_outcome_counts(core::TimeMs since) override {
    return store::job_outcome_counts(*db_, since);
  }
  Result<std::optional<core::TimeMs>> job_oldest_due(core::TimeMs now) override {
    return store::job_oldest_due(*db_, now);
  }
  Result<std::int64_t> event_last_id() override { return store::event_last_id(*db_); }
  Result<std::map<std::string, std::int64_t>> workflow_count_by_status() override {
    return store::workflow_count_by_status(*db_);
  }

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace

Result<std::shared_ptr<StoreBackend>> StoreBackend::open(const BackendOptions& options) {
  if (!options.url.empty()) {
    if (!pg::is_postgres_url(options.url))
      return invalid_error("db.url '" + pg::redact_url(options.url) +
                           "' is not a PostgreSQL URL (postgres://user@host:port/db)");
    auto db = pg::PgDatabase::open(options.url);
    if (!db) return db.error();
    return std::shared_ptr<StoreBackend>(
        std::make_shared<pg::PgBackend>(std::shared_ptr<pg::PgDatabase>(std::move(db.value()))));
  }
  auto db = Database::open(options.sqlite);
  if (!db) return db.error();
  return over_sqlite(std::shared_ptr<Database>(std::move(db.value())));
}

std::shared_ptr<StoreBackend> StoreBackend::over_sqlite(std::shared_ptr<Database> db) {
  return std::make_shared<SqliteBackend>(std::move(db));
}

}  // namespace hypersdk::store
