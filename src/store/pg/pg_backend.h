// The PostgreSQL backend (store/backend.h): PgStore and its side ports over one PgDatabase.
// Migrations run when the PgDatabase opens; there is no checkpoint to take (the server runs
// its own) and no database file to measure.
// Thread safety: as PgDatabase.
#pragma once

#include <memory>

#include "store/backend.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

class PgBackend final : public StoreBackend {
 public:
  explicit PgBackend(std::shared_ptr<PgDatabase> db);

  const char* driver() const override { return "postgresql"; }
  std::string describe() const override { return db_->url_redacted(); }
  MigrationReport migration() const override { return {}; }
  Result<int> schema_version_read() override { return db_->schema_version_and_queue(); }
  int schema_version_wanted() const override;
  WriteHealth write_health() const override;
  Status probe_write(core::TimeMs now) override { return db_->probe_write(now); }
  Status checkpoint() override { return Status::Ok(); }
  Result<std::vector<OutcomeCount>> job_outcome_counts(core::TimeMs since) override;
  Result<std::optional<core::TimeMs>> job_oldest_due(core::TimeMs now) override;
  Result<std::int64_t> event_last_id() override;
  Result<std::map<std::string, std::int64_t>> workflow_count_by_status() override;

  PgDatabase& database() { return *db_; }

 private:
  std::shared_ptr<PgDatabase> db_;
};

}  // namespace hypersdk::store::pg
