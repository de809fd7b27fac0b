// The resumable-upload ledger (schema/0009_uploads.sql): per job, the multipart upload in
// progress (target, key, which file, the server's upload id, part size) and its finished
// parts. Each method is one transaction. Thread safety: any thread (the Database is).
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
  explicit UploadStore(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  // The job's upload in progress with its parts; nullopt when there is none.
  Result<std::optional<UploadRecord>> upload_get(core::JobId job_id);
  // Records a new upload for the job, replacing any earlier one and its parts.
  Status upload_begin(const UploadRecord& r);
  // Records one acknowledged part (again: replaced). Error not_found when the job has no
  // upload in progress.
  Status upload_part_done(core::JobId job_id, const UploadPart& part);
  // The upload completed or was aborted.
  Status upload_finish(core::JobId job_id);

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace hypersdk::store
