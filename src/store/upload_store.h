// The resumable-upload ledger (schema/0009_uploads.sql): per job, the multipart upload in
// progress (target, key, which file, the server's upload id, part size) and its finished
// parts. Each method is one transaction. A port: SqliteUploadStore (below, upload_store.cpp)
// and pg::PgUploadStore (store/pg/pg_upload_store.h). Thread safety: any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store {

struct UploadPart {
  int number = 0;
  std::int64_t size = 0;
  std::string etag;
  std::string md5;
};

struct UploadRecord {
  core::JobId job_id = 0;
  std::string target;
  std::string object_key;
  std::string file_path;
  std::int64_t file_size = 0;
  std::int64_t file_mtime = 0;
  std::string upload_id;
  std::int64_t part_size = 0;
  core::TimeMs created_at = 0;
  std::vector<UploadPart> parts;  // by part number
};

class UploadStore {
 public:
  virtual ~UploadStore() = default;
  // The job's upload in progress with its parts; nullopt when there is none.
  virtual Result<std::optional<UploadRecord>> upload_get(core::JobId job_id) = 0;
  // Records a new upload for the job, replacing any earlier one and its parts.
  virtual Status upload_begin(const UploadRecord& r) = 0;
  // Records one acknowledged part (again: replaced). Error not_found when the job has no
  // upload in progress.
  virtual Status upload_part_done(core::JobId job_id, const UploadPart& part) = 0;
  // The upload completed or was aborted.
  virtual Status upload_finish(core::JobId job_id) = 0;
};

class SqliteUploadStore final : public UploadStore {
 public:
  explicit SqliteUploadStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}
  Result<std::optional<UploadRecord>> upload_get(core::JobId job_id) override;
  Status upload_begin(const UploadRecord& r) override;
  Status upload_part_done(core::JobId job_id, const UploadPart& part) override;
  Status upload_finish(core::JobId job_id) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace hypersdk::store
