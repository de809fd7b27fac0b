// Backup records (issue 11): one row per backup file, chained by parent (an incremental is a
// qcow2 whose backing file is its parent's file). The only SQL about backups; one transaction
// per method. Its own small port beside store.h, implemented over the same Database.
// Thread safety: safe from any thread (Database is).
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
  explicit BackupStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}
  // Records a backup; a full one starts its own chain (chain_id = its id), an incremental
  // joins its parent's. Errors: not_found (parent), conflict (parent deleted).
  Result<Backup> insert(const Backup& b);
  Result<Backup> get(std::int64_t id);
  // Newest first; all VMs when `vm` is empty; deleted ones included when `with_deleted`.
  Result<std::vector<Backup>> list(const std::string& vm, int limit, bool with_deleted = false);
  // The newest live backup of the VM (the parent of the next incremental), if any.
  Result<std::optional<Backup>> latest(const std::string& vm, const std::string& provider);
  // The chain from its full backup down to `id`, in order (what a restore reads).
  Result<std::vector<Backup>> chain(std::int64_t id);
  Status mark_verified(std::int64_t id, core::TimeMs at);
  Status mark_deleted(const std::vector<std::int64_t>& ids, core::TimeMs at);

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace hypersdk::store
