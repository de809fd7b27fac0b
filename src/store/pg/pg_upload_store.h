// The resumable-upload ledger (store/upload_store.h) on PostgreSQL: the twin of
// SqliteUploadStore over the same tables (schema/pg/0009). Each method one transaction.
// Thread safety: as PgDatabase.
#pragma once

#include <memory>

#include "store/pg/pg_database.h"
#include "store/upload_store.h"

namespace hypersdk::store::pg {

class PgUploadStore final : public UploadStore {
 public:
  explicit PgUploadStore(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {}
  Result<std::optional<UploadRecord>> upload_get(core::JobId job_id) override;
  Status upload_begin(const UploadRecord& r) override;
  Status upload_part_done(core::JobId job_id, const UploadPart& part) override;
  Status upload_finish(core::JobId job_id) override;

 private:
  std::shared_ptr<PgDatabase> db_;
};

}  // namespace hypersdk::store::pg
