// Backup records (issue 11): one row per backup file, chained by parent (an incremental is a
// qcow2 whose backing file is its parent's file). The only SQL about backups; one transaction
// per method. Its own small port beside store.h: SqliteBackupStore (below, backup_store.cpp) on
// the SQLite database, pg::PgBackupStore (store/pg/pg_backup_store.h) on PostgreSQL.
// Thread safety: safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store {

struct Backup {
  std::int64_t id = 0;
  std::string vm;
  std::string provider;
  std::string kind;           // full | incremental
  std::int64_t chain_id = 0;  // the full backup's id
  std::optional<std::int64_t> parent_id;
  std::string path;
  std::string format;
  std::int64_t size_bytes = 0;
  std::string sha256;
  std::optional<core::JobId> job_id;
  std::optional<std::int64_t> schedule_id;
  core::TimeMs created_at = 0;
  std::optional<core::TimeMs> verified_at;
  std::optional<core::TimeMs> deleted_at;
};

class BackupStore {
 public:
  virtual ~BackupStore() = default;
  // Records a backup; a full one starts its own chain (chain_id = its id), an incremental
  // joins its parent's. Errors: not_found (parent), conflict (parent deleted).
  virtual Result<Backup> insert(const Backup& b) = 0;
  // Errors: not_found.
  virtual Result<Backup> get(std::int64_t id) = 0;
  // Newest first; all VMs when `vm` is empty; deleted ones included when `with_deleted`.
  virtual Result<std::vector<Backup>> list(const std::string& vm, int limit,
                                           bool with_deleted = false) = 0;
  // The newest live backup of the VM (the parent of the next incremental), if any.
  virtual Result<std::optional<Backup>> latest(const std::string& vm,
                                               const std::string& provider) = 0;
  // The chain from its full backup down to `id`, in order (what a restore reads). Errors:
  // not_found, conflict (a backup of the chain was deleted).
  virtual Result<std::vector<Backup>> chain(std::int64_t id) = 0;
  virtual Status mark_verified(std::int64_t id, core::TimeMs at) = 0;
  virtual Status mark_deleted(const std::vector<std::int64_t>& ids, core::TimeMs at) = 0;
};

class SqliteBackupStore final : public BackupStore {
 public:
  explicit SqliteBackupStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}
  Result<Backup> insert(const Backup& b) override;
  Result<Backup> get(std::int64_t id) override;
  Result<std::vector<Backup>> list(const std::string& vm, int limit,
                                   bool with_deleted = false) override;
  Result<std::optional<Backup>> latest(const std::string& vm, const std::string& provider) override;
  Result<std::vector<Backup>> chain(std::int64_t id) override;
  Status mark_verified(std::int64_t id, core::TimeMs at) override;
  Status mark_deleted(const std::vector<std::int64_t>& ids, core::TimeMs at) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace hypersdk::store
