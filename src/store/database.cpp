#include "store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <filesystem>

#include "store/migrations.h"
#include "store/node_versions.h"
#include "store/server_registry.h"

namespace hypersdk::store {
namespace fs = std::filesystem;

namespace {

std::int64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

std::string timestamp_suffix() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Holds BEGIN ... COMMIT; rolls back unless committed. Statements are reset first: a
// statement stopped mid-step by an exception keeps its read open, and then neither the
// rollback nor a later checkpoint can finish ("database table is locked", issue 18 item 2).
class TxGuard {
 public:
  TxGuard(Connection& c, const char* begin) : c_(c) { c_.db().exec(begin); }
  ~TxGuard() {
    if (!done_) c_.make_clean();
  }
  void commit() {
    c_.reset_all();
    c_.db().exec("COMMIT");
    done_ = true;
  }

 private:
  Connection& c_;
  bool done_ = false;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kProbe = "UPDATE store_probe SET at = ? WHERE id = 1";

}  // namespace

Error translate(const std::exception& e, const std::string& what) {
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    const int code = se->getErrorCode();
    std::string msg = what + ": " + se->what();
    switch (code) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return make_error(ErrorClass::unavailable, msg + " (database busy; try again)");
      case SQLITE_CONSTRAINT:
        return make_error(ErrorClass::conflict, msg);
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return make_error(ErrorClass::internal,
                          msg +
                              " (the database file is damaged or not a hypersdk database; "
                              "restore a backup or point --db at another file)");
      case SQLITE_CANTOPEN:
      case SQLITE_PERM:
      case SQLITE_READONLY:
        return make_error(ErrorClass::invalid,
                          msg + " (check the path and its permissions, or set --db)");
      case SQLITE_FULL:
        return make_error(ErrorClass::unavailable, msg + " (disk full)");
      default:
        return make_error(ErrorClass::internal, msg);
    }
  }
  return make_error(ErrorClass::internal, what + ": " + e.what());
}

Connection::Connection(const std::string& path, int flags, const DatabaseOptions& opts)
    : db_(path, flags, static_cast<int>(opts.busy_timeout.count())) {
  db_.exec("PRAGMA foreign_keys=ON");
  db_.exec(opts.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  // No memory map and a 1 MiB page cache here (readers); the writer's is 4 MiB (writer_conn).
  // A reader's cache is emptied whenever another connection commits, so a big one buys
  // little; a 256 MiB map (its pages count in RSS as the database grows) plus 16 MiB caches
  // put serve at 78 MB after 200k jobs. Chosen by measurement (bench/README.md, "Memory: SQLite's
  // map and caches"): drain rates unchanged within noise, RSS flat at ~32 MB.
  db_.exec("PRAGMA mmap_size=0");
  db_.exec("PRAGMA cache_size=-1024");
}

SQLite::Statement& Connection::stmt(const char* sql) {
  for (auto& [key, st] : cache_) {
    if (key == sql) {
      // tryReset: the code it returns is that of the last step, already reported then.
      st->tryReset();
      st->clearBindings();
      return *st;
    }
  }
  cache_.emplace_back(sql, std::make_unique<SQLite::Statement>(db_, sql));
  return *cache_.back().second;
}

void Connection::reset_all() noexcept {
  for (auto& entry : cache_) entry.second->tryReset();
}

bool Connection::make_clean() noexcept {
  reset_all();
  if (sqlite3_get_autocommit(db_.getHandle()) == 0) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Judged below by whether a transaction is still open.
    }
  }
  return sqlite3_get_autocommit(db_.getHandle()) != 0;
}

Database::Database(DatabaseOptions opts) : opts_(std::move(opts)) {}

Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& opts) {
  if (opts.path.empty())
    return make_error(ErrorClass::invalid, "no database path: set --db or db.path");
  std::unique_ptr<Database> db(new Database(opts));
  try {
    fs::path parent = fs::path(opts.path).parent_path();
    if (!parent.empty() && !fs::exists(parent)) {
      fs::create_directories(parent);
      fs::permissions(parent, fs::perms::owner_all, fs::perm_options::replace);
    }
    const bool existed = fs::exists(opts.path);
    db->writer_ = db->writer_conn();
    if (!existed) ::chmod(opts.path.c_str(), 0600);
    auto& w = db->writer_->db();
    // A file that is not SQLite fails here with SQLITE_NOTADB.
    w.exec("PRAGMA journal_mode=WAL");
  } catch (const std::exception& e) {
    return translate(e, "cannot open database " + opts.path);
  }
  const int version = db->schema_version();
  if (version > latest_schema_version())
    return make_error(ErrorClass::conflict,
                      "database " + opts.path + " has schema version " + std::to_string(version) +
                          ", newer than this hypersdk supports (" +
                          std::to_string(latest_schema_version()) +
                          "); upgrade hypersdk, or restore the backup taken before the upgrade");
  if (opts.migrate && version < latest_schema_version()) {
    auto report = db->migrate(opts.backup_before_migrate && version > 0);
    if (!report) return report.error();
  }
  return db;
}

int Database::schema_version() {
  std::lock_guard lock(writer_mu_);
  try {
    return writer_->db().execAndGet("PRAGMA user_version").getInt();
  } catch (const std::exception&) {
    return -1;
  }
}

std::unique_ptr<Connection> Database::writer_conn() {
  auto c = std::make_unique<Connection>(
      opts_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX, opts_);
  // Per connection, so it is set wherever a writer connection is opened.
  c->db().exec("PRAGMA journal_size_limit=" + std::to_string(opts_.journal_size_limit));
  // The one writer's cache stays valid across its own commits: the claim and completion
  // path's pages (claimable index, recent rows) stay in it.
  c->db().exec("PRAGMA cache_size=-4096");
  return c;
}

void Database::note_write(const Status& s, bool changed) {
  std::lock_guard lock(health_mu_);
  if (s.ok()) {
    if (changed) {
      health_.failing = false;
      health_.failures = 0;
      health_.reason.clear();
    }
    return;
  }
  if (!health_.failing) {
    health_.since_ms = now_ms();
    health_.episodes++;
  }
  health_.failing = true;
  health_.failures++;
  health_.reason = s.error().message;
  health_.last_reason = health_.reason;
}

WriteHealth Database::write_health() const {
  std::lock_guard lock(health_mu_);
  WriteHealth h = health_;
  h.single = single_.load();
  return h;
}

Status Database::probe_write(std::int64_t now) {
  Status s = write([now](Connection& c) {
    auto& st = c.stmt(kProbe);
    st.bind(1, now);
    st.exec();
    return Status::Ok();
  });
  return s;  // its one changed row clears write_health() when it commits
}

Result<int> Database::schema_version_read() {
  int version = -1;
  Status s = read([&](Connection& c) {
    version = c.db().execAndGet("PRAGMA user_version").getInt();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return version;
}

std::unique_ptr<Connection> Database::acquire_reader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return c;
    }
  }
  return std::make_unique<Connection>(opts_.path, SQLite::OPEN_READWRITE, opts_);
}

void Database::release_reader(std::unique_ptr<Connection> c) {
  std::lock_guard lock(readers_mu_);
  if (readers_.size() < 8) readers_.push_back(std::move(c));
}

Status Database::read(const std::function<Status(Connection&)>& fn) {
  std::unique_ptr<Connection> c;
  try {
    c = acquire_reader();
    Status s;
    {
      TxGuard tx(*c, "BEGIN");
      s = fn(*c);
      tx.commit();
    }
    release_reader(std::move(c));
    return s;
  } catch (const std::exception& e) {
    return translate(e, "database read failed");
  }
}

Result<MigrationReport> Database::migrate(bool backup) {
  MigrationReport report;
  report.from_version = schema_version();
  report.to_version = report.from_version;
  if (report.from_version >= latest_schema_version()) return report;
  {
    // Expand/contract: not while a live node of an older version uses this database.
    const core::TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    auto live = SqliteServerRegistry(*this).server_list_live(now - kNodeFreshMs);
    if (!live) return live.error();
    if (auto blockers = migration_blockers(*live, HYPERSDK_VERSION); !blockers.empty())
      return migration_blocked_error(blockers, report.from_version, latest_schema_version(), now);
  }
  if (backup) {
    report.backup_path =
        opts_.path + ".backup-v" + std::to_string(report.from_version) + "-" + timestamp_suffix();
    if (Status s = backup_to(report.backup_path); !s.ok()) {
      return make_error(s.error().cls,
                        "not migrating: the backup before migration failed: " + s.error().message);
    }
  }
  for (const auto& m : embedded_migrations()) {
    if (m.version <= report.to_version) continue;
    Status s = write([&](Connection& c) {
      c.db().exec(m.sql);
      c.db().exec("PRAGMA user_version=" + std::to_string(m.version));
      return Status::Ok();
    });
    if (!s.ok())
      return make_error(s.error().cls, "migration " + m.name + " failed: " + s.error().message);
    report.to_version = m.version;
  }
  migration_ = report;
  return report;
}

Status Database::backup_to(const std::string& path) {
  if (fs::exists(path))
    return make_error(ErrorClass::conflict, "backup target " + path + " already exists");
  // Created empty and private first (VACUUM INTO accepts an empty file), so the copy is never
  // readable by others, not even while it is being written.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(errno == EEXIST ? ErrorClass::conflict : ErrorClass::unavailable,
                      "cannot create backup " + path + ": " + std::strerror(errno));
  ::close(fd);
  std::lock_guard lock(writer_mu_);
  try {
    SQLite::Statement st(writer_->db(), "VACUUM INTO ?");
    st.bind(1, path);
    st.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(path, ec);  // the empty or partial copy is no backup
    return translate(e, "backup to " + path + " failed");
  }
}

CheckReport Database::check() {
  CheckReport r;
  r.binary_version = latest_schema_version();
  r.schema_version = schema_version();
  if (r.schema_version < r.binary_version)
    r.problems.push_back("schema version " + std::to_string(r.schema_version) + " is behind " +
                         std::to_string(r.binary_version) + ": run 'hypersdk db migrate'");
  Status s = read([&](Connection& c) {
    SQLite::Statement ic(c.db(), "PRAGMA integrity_check");
    while (ic.executeStep()) {
      std::string line = ic.getColumn(0).getString();
      if (line != "ok") r.problems.push_back("integrity: " + line);
    }
    SQLite::Statement fk(c.db(), "PRAGMA foreign_key_check");
    while (fk.executeStep())
      r.problems.push_back("foreign key violation in table " + fk.getColumn(0).getString());
    if (r.schema_version >= 1) r.jobs = c.db().execAndGet("SELECT count(*) FROM jobs").getInt64();
    return Status::Ok();
  });
  if (!s.ok()) r.problems.push_back(s.error().message);
  r.size_bytes = size_bytes();
  r.wal_bytes = wal_bytes();
  r.ok = r.problems.empty();
  return r;
}

Status Database::checkpoint() {
  std::lock_guard lock(writer_mu_);
  try {
    writer_->db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return Status::Ok();
  } catch (const std::exception& e) {
    return translate(e, "checkpoint failed");
  }
}

std::int64_t Database::wal_bytes() const {
  return file_size_or_zero(opts_.path + "-wal");
}
std::int64_t Database::size_bytes() const {
  return file_size_or_zero(opts_.path);
}

Result<std::int64_t> Database::data_version() {
  std::lock_guard lock(version_mu_);
  try {
    if (!version_conn_)
      version_conn_ = std::make_unique<Connection>(opts_.path, SQLite::OPEN_READWRITE, opts_);
    return version_conn_->db().execAndGet("PRAGMA data_version").getInt64();
  } catch (const std::exception& e) {
    version_conn_.reset();  // a broken connection is not reused
    return make_error(ErrorClass::unavailable,
                      std::string("cannot read the database's data_version: ") + e.what());
  }
}

}  // namespace hypersdk::store
