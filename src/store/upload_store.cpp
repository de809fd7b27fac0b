#include "store/upload_store.h"

namespace hypersdk::store {
namespace {

constexpr const char* kGet =
    "SELECT target, object_key, file_path, file_size, file_mtime, upload_id, part_size,"
    " created_at FROM uploads WHERE job_id = ?";
constexpr const char* kParts =
    "SELECT part_number, size, etag, md5 FROM upload_parts WHERE job_id = ?"
    " ORDER BY part_number";
constexpr const char* kDelete = "DELETE FROM uploads WHERE job_id = ?";
constexpr const char* kInsert =
    "INSERT INTO uploads (job_id, target, object_key, file_path, file_size, file_mtime,"
    " upload_id, part_size, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kPart =
    "INSERT OR REPLACE INTO upload_parts (job_id, part_number, size, etag, md5)"
    " SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM uploads WHERE job_id = ?1)";

}  // namespace

Result<std::optional<UploadRecord>> SqliteUploadStore::upload_get(core::JobId job_id) {
  std::optional<UploadRecord> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kGet);
    st.bind(1, job_id);
    if (!st.executeStep()) return Status::Ok();
    UploadRecord r;
    r.job_id = job_id;
    r.target = st.getColumn(0).getString();
    r.object_key = st.getColumn(1).getString();
    r.file_path = st.getColumn(2).getString();
    r.file_size = st.getColumn(3).getInt64();
    r.file_mtime = st.getColumn(4).getInt64();
    r.upload_id = st.getColumn(5).getString();
    r.part_size = st.getColumn(6).getInt64();
    r.created_at = st.getColumn(7).getInt64();
    auto& parts = c.stmt(kParts);
    parts.bind(1, job_id);
    while (parts.executeStep())
      r.parts.push_back({parts.getColumn(0).getInt(), parts.getColumn(1).getInt64(),
                         parts.getColumn(2).getString(), parts.getColumn(3).getString()});
    out = std::move(r);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteUploadStore::upload_begin(const UploadRecord& r) {
  return db_->write([&](Connection& c) {
    auto& del = c.stmt(kDelete);
    del.bind(1, r.job_id);
    del.exec();
    auto& ins = c.stmt(kInsert);
    ins.bind(1, r.job_id);
    ins.bind(2, r.target);
    ins.bind(3, r.object_key);
    ins.bind(4, r.file_path);
    ins.bind(5, r.file_size);
    ins.bind(6, r.file_mtime);
    ins.bind(7, r.upload_id);
    ins.bind(8, r.part_size);
    ins.bind(9, static_cast<std::int64_t>(r.created_at));
    ins.exec();
    return Status::Ok();
  });
}

Status SqliteUploadStore::upload_part_done(core::JobId job_id, const UploadPart& p) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kPart);
    st.bind(1, job_id);
    st.bind(2, p.number);
    st.bind(3, p.size);
    st.bind(4, p.etag);
    st.bind(5, p.md5);
    if (st.exec() == 0)
      return Status(make_error(ErrorClass::not_found,
                               "job " + std::to_string(job_id) + " has no upload in progress"));
    return Status::Ok();
  });
}

Status SqliteUploadStore::upload_finish(core::JobId job_id) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kDelete);
    st.bind(1, job_id);
    st.exec();
    return Status::Ok();
  });
}

}  // namespace hypersdk::store
