#include "store/backup_store.h"

namespace hypersdk::store {

namespace {
#define BACKUP_COLUMNS                                                                     \
  "id, vm, provider, kind, chain_id, parent_id, path, format, size_bytes, sha256, job_id," \
  " schedule_id, created_at, verified_at, deleted_at"
constexpr const char* kInsert =
    "INSERT INTO backups (vm, provider, kind, chain_id, parent_id, path, format, size_bytes,"
    " sha256, job_id, schedule_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " ?11, ?12)";
constexpr const char* kSetOwnChain = "UPDATE backups SET chain_id = id WHERE id = ?";
constexpr const char* kGet = "SELECT " BACKUP_COLUMNS " FROM backups WHERE id = ?";
constexpr const char* kListAll = "SELECT " BACKUP_COLUMNS
                                 " FROM backups WHERE (?2 OR deleted_at IS NULL)"
                                 " ORDER BY id DESC LIMIT ?1";
constexpr const char* kListVm = "SELECT " BACKUP_COLUMNS
                                " FROM backups WHERE vm = ?3 AND (?2 OR deleted_at IS NULL)"
                                " ORDER BY id DESC LIMIT ?1";
constexpr const char* kLatest = "SELECT " BACKUP_COLUMNS
                                " FROM backups WHERE vm = ? AND provider = ? AND deleted_at IS NULL"
                                " ORDER BY id DESC LIMIT 1";
constexpr const char* kVerified = "UPDATE backups SET verified_at = ? WHERE id = ?";
constexpr const char* kDeleted =
    "UPDATE backups SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL";

template <typename T>
void bind_opt(SQLite::Statement& st, int i, const std::optional<T>& v) {
  if (v)
    st.bind(i, static_cast<std::int64_t>(*v));
  else
    st.bind(i);
}

std::optional<std::int64_t> opt(SQLite::Statement& st, int i) {
  if (st.getColumn(i).isNull()) return std::nullopt;
  return st.getColumn(i).getInt64();
}

Backup read_backup(SQLite::Statement& st) {
  Backup b;
  b.id = st.getColumn(0).getInt64();
  b.vm = st.getColumn(1).getString();
  b.provider = st.getColumn(2).getString();
  b.kind = st.getColumn(3).getString();
  b.chain_id = st.getColumn(4).isNull() ? b.id : st.getColumn(4).getInt64();
  b.parent_id = opt(st, 5);
  b.path = st.getColumn(6).getString();
  b.format = st.getColumn(7).getString();
  b.size_bytes = st.getColumn(8).getInt64();
  b.sha256 = st.getColumn(9).getString();
  b.job_id = opt(st, 10);
  b.schedule_id = opt(st, 11);
  b.created_at = st.getColumn(12).getInt64();
  b.verified_at = opt(st, 13);
  b.deleted_at = opt(st, 14);
  return b;
}

Result<Backup> get_in(Connection& c, std::int64_t id) {
  auto& st = c.stmt(kGet);
  st.bind(1, id);
  if (!st.executeStep())
    return make_error(ErrorClass::not_found, "no backup " + std::to_string(id));
  return read_backup(st);
}
}  // namespace

Result<Backup> SqliteBackupStore::insert(const Backup& in) {
  Backup out;
  Status s = db_->write([&](Connection& c) -> Status {
    std::optional<std::int64_t> chain;
    if (in.parent_id) {
      auto parent = get_in(c, *in.parent_id);
      if (!parent) return parent.error();
      if (parent->deleted_at)
        return make_error(ErrorClass::conflict, "backup " + std::to_string(*in.parent_id) +
                                                    " was deleted; start a new chain (full)");
      chain = parent->chain_id;
    }
    auto& st = c.stmt(kInsert);
    st.bind(1, in.vm);
    st.bind(2, in.provider);
    st.bind(3, in.kind);
    bind_opt(st, 4, chain);
    bind_opt(st, 5, in.parent_id);
    st.bind(6, in.path);
    st.bind(7, in.format);
    st.bind(8, in.size_bytes);
    st.bind(9, in.sha256);
    bind_opt(st, 10, in.job_id);
    bind_opt(st, 11, in.schedule_id);
    st.bind(12, static_cast<std::int64_t>(in.created_at));
    st.exec();
    const std::int64_t id = c.db().getLastInsertRowid();
    if (!chain) {
      auto& own = c.stmt(kSetOwnChain);
      own.bind(1, id);
      own.exec();
    }
    auto got = get_in(c, id);
    if (!got) return got.error();
    out = *got;
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Backup> SqliteBackupStore::get(std::int64_t id) {
  std::optional<Backup> out;
  Status s = db_->read([&](Connection& c) -> Status {
    auto b = get_in(c, id);
    if (!b) return b.error();
    out = *b;
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return *out;
}

Result<std::vector<Backup>> SqliteBackupStore::list(const std::string& vm, int limit,
                                                    bool with_deleted) {
  std::vector<Backup> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(vm.empty() ? kListAll : kListVm);
    st.bind(1, limit);
    st.bind(2, with_deleted ? 1 : 0);
    if (!vm.empty()) st.bind(3, vm);
    while (st.executeStep()) out.push_back(read_backup(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<Backup>> SqliteBackupStore::latest(const std::string& vm,
                                                        const std::string& provider) {
  std::optional<Backup> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kLatest);
    st.bind(1, vm);
    st.bind(2, provider);
    if (st.executeStep()) out = read_backup(st);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Backup>> SqliteBackupStore::chain(std::int64_t id) {
  std::vector<Backup> out;
  Status s = db_->read([&](Connection& c) -> Status {
    std::optional<std::int64_t> next = id;
    while (next) {
      auto b = get_in(c, *next);
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

Status SqliteBackupStore::mark_verified(std::int64_t id, core::TimeMs at) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kVerified);
    st.bind(1, static_cast<std::int64_t>(at));
    st.bind(2, id);
    st.exec();
    return Status::Ok();
  });
}

Status SqliteBackupStore::mark_deleted(const std::vector<std::int64_t>& ids, core::TimeMs at) {
  return db_->write([&](Connection& c) {
    for (auto id : ids) {
      auto& st = c.stmt(kDeleted);
      st.bind(1, static_cast<std::int64_t>(at));
      st.bind(2, id);
      st.exec();
    }
    return Status::Ok();
  });
}

}  // namespace hypersdk::store
