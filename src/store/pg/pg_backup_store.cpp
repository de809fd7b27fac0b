#include "store/pg/pg_backup_store.h"

namespace hypersdk::store::pg {

namespace {
#define HYPERSDK_PG_BACKUP_COLUMNS                                                         \
  "id, vm, provider, kind, chain_id, parent_id, path, format, size_bytes, sha256, job_id," \
  " schedule_id, created_at, verified_at, deleted_at"
constexpr const char* kInsert =
    "INSERT INTO backups (vm, provider, kind, chain_id, parent_id, path, format, size_bytes,"
    " sha256, job_id, schedule_id, created_at) VALUES ($1, $2, $3, $4::bigint, $5::bigint, $6,"
    " $7, $8::bigint, $9, $10::bigint, $11::bigint, $12::bigint) RETURNING id";
constexpr const char* kSetOwnChain = "UPDATE backups SET chain_id = id WHERE id = $1::bigint";
constexpr const char* kGet =
    "SELECT " HYPERSDK_PG_BACKUP_COLUMNS " FROM backups WHERE id = $1::bigint";
constexpr const char* kListAll = "SELECT " HYPERSDK_PG_BACKUP_COLUMNS
                                 " FROM backups WHERE ($2::bigint = 1 OR deleted_at IS NULL)"
                                 " ORDER BY id DESC LIMIT $1::bigint";
constexpr const char* kListVm =
    "SELECT " HYPERSDK_PG_BACKUP_COLUMNS
    " FROM backups WHERE vm = $3 AND ($2::bigint = 1 OR deleted_at IS NULL)"
    " ORDER BY id DESC LIMIT $1::bigint";
constexpr const char* kLatest = "SELECT " HYPERSDK_PG_BACKUP_COLUMNS
                                " FROM backups WHERE vm = $1 AND provider = $2"
                                " AND deleted_at IS NULL ORDER BY id DESC LIMIT 1";
constexpr const char* kVerified =
    "UPDATE backups SET verified_at = $1::bigint WHERE id = $2::bigint";
constexpr const char* kDeleted =
    "UPDATE backups SET deleted_at = $1::bigint WHERE id = $2::bigint AND deleted_at IS NULL";

Backup read_backup(const Rows& r, int i) {
  Backup b;
  b.id = r.i64(i, 0);
  b.vm = r.text(i, 1);
  b.provider = r.text(i, 2);
  b.kind = r.text(i, 3);
  b.chain_id = r.null(i, 4) ? b.id : r.i64(i, 4);
  b.parent_id = r.opt_i64(i, 5);
  b.path = r.text(i, 6);
  b.format = r.text(i, 7);
  b.size_bytes = r.i64(i, 8);
  b.sha256 = r.text(i, 9);
  b.job_id = r.opt_i64(i, 10);
  b.schedule_id = r.opt_i64(i, 11);
  b.created_at = r.i64(i, 12);
  b.verified_at = r.opt_i64(i, 13);
  b.deleted_at = r.opt_i64(i, 14);
  return b;
}

Result<Backup> get_in(Tx& tx, std::int64_t id) {
  Rows r = tx.exec(kGet, {p(id)});
  if (r.empty()) return make_error(ErrorClass::not_found, "no backup " + std::to_string(id));
  return read_backup(r, 0);
}

template <typename T>
Param opt(const std::optional<T>& v) {
  return v ? p(static_cast<std::int64_t>(*v)) : Param{};
}
}  // namespace

Result<Backup> PgBackupStore::insert(const Backup& in) {
  Backup out;
  Status s = db_->write([&](Tx& tx) -> Status {
    std::optional<std::int64_t> chain;
    if (in.parent_id) {
      auto parent = get_in(tx, *in.parent_id);
      if (!parent) return parent.error();
      if (parent->deleted_at)
        return make_error(ErrorClass::conflict, "backup " + std::to_string(*in.parent_id) +
                                                    " was deleted; start a new chain (full)");
      chain = parent->chain_id;
    }
    Rows r =
        tx.exec(kInsert, {p(in.vm), p(in.provider), p(in.kind), opt(chain), opt(in.parent_id),
                          p(in.path), p(in.format), p(in.size_bytes), p(in.sha256), opt(in.job_id),
                          opt(in.schedule_id), p(static_cast<std::int64_t>(in.created_at))});
    const std::int64_t id = r.i64(0, 0);
    if (!chain) tx.exec(kSetOwnChain, {p(id)});
    auto got = get_in(tx, id);
    if (!got) return got.error();
    out = *got;
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Backup> PgBackupStore::get(std::int64_t id) {
  std::optional<Backup> out;
  Status s = db_->read([&](Tx& tx) -> Status {
    auto b = get_in(tx, id);
    if (!b) return b.error();
    out = *b;
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return *out;
}

Result<std::vector<Backup>> PgBackupStore::list(const std::string& vm, int limit,
                                                bool with_deleted) {
  std::vector<Backup> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    std::vector<Param> params{p(limit), p(with_deleted)};
    if (!vm.empty()) params.push_back(p(vm));
    Rows r = tx.exec(vm.empty() ? kListAll : kListVm, params);
    for (int i = 0; i < r.size(); ++i) out.push_back(read_backup(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<Backup>> PgBackupStore::latest(const std::string& vm,
                                                    const std::string& provider) {
  std::optional<Backup> out;
  Status s = db_->read([&](Tx& tx) {
    Rows r = tx.exec(kLatest, {p(vm), p(provider)});
    out = r.empty() ? std::nullopt : std::optional<Backup>(read_backup(r, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Backup>> PgBackupStore::chain(std::int64_t id) {
  std::vector<Backup> out;
  Status s = db_->read([&](Tx& tx) -> Status {
    out.clear();
    std::optional<std::int64_t> next = id;
    while (next) {
      auto b = get_in(tx, *next);
      if (!b) return b.error();
      if (b->deleted_at)
        return make_error(ErrorClass::conflict,
                          "backup " + std::to_string(b->id) + " of the chain was deleted");
      next = b->parent_id;
      out.insert(out.begin(), *b);
      if (out.size() > 100000) return make_error(ErrorClass::internal, "backup chain loops");
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status PgBackupStore::mark_verified(std::int64_t id, core::TimeMs at) {
  return db_->write(
      [&](Tx& tx) {
        tx.exec(kVerified, {p(static_cast<std::int64_t>(at)), p(id)});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Status PgBackupStore::mark_deleted(const std::vector<std::int64_t>& ids, core::TimeMs at) {
  return db_->write([&](Tx& tx) {
    for (auto id : ids) tx.exec(kDeleted, {p(static_cast<std::int64_t>(at)), p(id)});
    return Status::Ok();
  });
}

}  // namespace hypersdk::store::pg
