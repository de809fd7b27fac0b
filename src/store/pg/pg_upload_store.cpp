#include "store/pg/pg_upload_store.h"

namespace hypersdk::store::pg {
namespace {

constexpr const char* kGet =
    "SELECT target, object_key, file_path, file_size, file_mtime, upload_id, part_size,"
    " created_at FROM uploads WHERE job_id = $1::bigint";
constexpr const char* kParts =
    "SELECT part_number, size, etag, md5 FROM upload_parts WHERE job_id = $1::bigint"
    " ORDER BY part_number";
constexpr const char* kDelete = "DELETE FROM uploads WHERE job_id = $1::bigint";
constexpr const char* kInsert =
    "INSERT INTO uploads (job_id, target, object_key, file_path, file_size, file_mtime,"
    " upload_id, part_size, created_at) VALUES ($1::bigint, $2, $3, $4, $5::bigint, $6::bigint,"
    " $7, $8::bigint, $9::bigint)";
constexpr const char* kPart =
    "INSERT INTO upload_parts (job_id, part_number, size, etag, md5)"
    " SELECT $1::bigint, $2::bigint, $3::bigint, $4, $5"
    " WHERE EXISTS (SELECT 1 FROM uploads WHERE job_id = $1::bigint)"
    " ON CONFLICT (job_id, part_number) DO UPDATE SET size = excluded.size,"
    " etag = excluded.etag, md5 = excluded.md5";

}  // namespace

Result<std::optional<UploadRecord>> PgUploadStore::upload_get(core::JobId job_id) {
  std::optional<UploadRecord> out;
  Status s = db_->read([&](Tx& tx) {
    out.reset();
    const auto id = static_cast<std::int64_t>(job_id);
    Rows r = tx.exec(kGet, {p(id)});
    if (r.empty()) return Status::Ok();
    UploadRecord u;
    u.job_id = job_id;
    u.target = r.text(0, 0);
    u.object_key = r.text(0, 1);
    u.file_path = r.text(0, 2);
    u.file_size = r.i64(0, 3);
    u.file_mtime = r.i64(0, 4);
    u.upload_id = r.text(0, 5);
    u.part_size = r.i64(0, 6);
    u.created_at = r.i64(0, 7);
    Rows parts = tx.exec(kParts, {p(id)});
    for (int i = 0; i < parts.size(); ++i)
      u.parts.push_back(
          {static_cast<int>(parts.i64(i, 0)), parts.i64(i, 1), parts.text(i, 2), parts.text(i, 3)});
    out = std::move(u);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status PgUploadStore::upload_begin(const UploadRecord& r) {
  return db_->write([&](Tx& tx) {
    const auto id = static_cast<std::int64_t>(r.job_id);
    tx.exec(kDelete, {p(id)});
    tx.exec(kInsert,
            {p(id), p(r.target), p(r.object_key), p(r.file_path), p(r.file_size), p(r.file_mtime),
             p(r.upload_id), p(r.part_size), p(static_cast<std::int64_t>(r.created_at))});
    return Status::Ok();
  });
}

Status PgUploadStore::upload_part_done(core::JobId job_id, const UploadPart& part) {
  return db_->write([&](Tx& tx) {
    Rows r = tx.exec(kPart, {p(static_cast<std::int64_t>(job_id)), p(part.number), p(part.size),
                             p(part.etag), p(part.md5)});
    if (r.affected() == 0)
      return Status(make_error(ErrorClass::not_found,
                               "job " + std::to_string(job_id) + " has no upload in progress"));
    return Status::Ok();
  });
}

Status PgUploadStore::upload_finish(core::JobId job_id) {
  return db_->write(
      [&](Tx& tx) {
        tx.exec(kDelete, {p(static_cast<std::int64_t>(job_id))});
        return Status::Ok();
      },
      Isolation::read_committed);
}

}  // namespace hypersdk::store::pg
