// Backup records (store/backup_store.h) on PostgreSQL: the twin of SqliteBackupStore over the
// same backups table (schema/pg/0008). Each method one transaction; inserts run SERIALIZABLE
// so that a parent deleted by another node meanwhile is seen.
// Thread safety: as PgDatabase.
#pragma once

#include <memory>

#include "store/backup_store.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

class PgBackupStore final : public BackupStore {
 public:
  explicit PgBackupStore(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {}
  Result<Backup> insert(const Backup& b) override;
  Result<Backup> get(std::int64_t id) override;
  Result<std::vector<Backup>> list(const std::string& vm, int limit,
                                   bool with_deleted = false) override;
  Result<std::optional<Backup>> latest(const std::string& vm, const std::string& provider) override;
  Result<std::vector<Backup>> chain(std::int64_t id) override;
  Status mark_verified(std::int64_t id, core::TimeMs at) override;
  Status mark_deleted(const std::vector<std::int64_t>& ids, core::TimeMs at) override;

 private:
  std::shared_ptr<PgDatabase> db_;
};

}  // namespace hypersdk::store::pg
