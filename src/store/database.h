// The SQLite database: connections, pragmas, migrations, backup and integrity check.
//
// One writer connection (every write transaction is BEGIN IMMEDIATE, serialized by a mutex)
// and a small pool of reader connections; WAL lets readers run beside the writer.
// Thread safety: all methods are safe to call from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/error.h"

namespace hypersdk::store {

struct DatabaseOptions {
  std::string path;
  bool synchronous_full = true;  // FULL: an acknowledged write survives power loss
  std::chrono::milliseconds busy_timeout{5000};
  std::int64_t journal_size_limit = 64 << 20;
  bool migrate = true;                // bring an older schema up to date on open
  bool backup_before_migrate = true;  // VACUUM INTO a copy first (never for a new database)
};

// A connection with a cache of prepared statements. Not thread-safe: one owner at a time.
class Connection {
 public:
  Connection(const std::string& path, int flags, const DatabaseOptions& opts);
  SQLite::Database& db() { return db_; }
  // Returns the cached statement for `sql`, reset and with bindings cleared.
  // REQUIRES: `sql` has static storage duration (it is the cache key).
  SQLite::Statement& stmt(const char* sql);
  // Resets every cached statement so none holds a read or write open across COMMIT.
  void reset_all();

 private:
  SQLite::Database db_;
  std::vector<std::pair<const char*, std::unique_ptr<SQLite::Statement>>> cache_;
};

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::string backup_path;  // empty when no backup was needed
};

struct CheckReport {
  bool ok = false;
  int schema_version = 0;
  int binary_version = 0;
  std::vector<std::string> problems;
  std::int64_t jobs = 0;
  std::int64_t size_bytes = 0;
  std::int64_t wal_bytes = 0;
};

class Database {
 public:
  // Opens (creating it and its directory if needed), applies pragmas and, when
  // opts.migrate, migrates. Refuses a database whose schema is newer than this binary.
  static Result<std::unique_ptr<Database>> open(const DatabaseOptions& opts);

  const std::string& path() const { return opts_.path; }
  int schema_version();
  const MigrationReport& migration() const { return migration_; }

  // Runs `fn` inside BEGIN IMMEDIATE on the writer connection; commits when it returns ok,
  // rolls back otherwise or on an exception. SQLite errors become Error values.
  Status write(const std::function<Status(Connection&)>& fn);
  // Runs `fn` on a reader connection inside a read transaction (one consistent snapshot).
  Status read(const std::function<Status(Connection&)>& fn);

  Result<MigrationReport> migrate(bool backup);
  Status backup_to(const std::string& path);
  CheckReport check();
  Status checkpoint();  // wal_checkpoint(TRUNCATE)
  std::int64_t wal_bytes() const;
  std::int64_t size_bytes() const;
  // Changes whenever another connection (any process) commits; cheap to poll. An error when
  // it cannot be read (the connection is reopened on the next call).
  Result<std::int64_t> data_version();

 private:
  explicit Database(DatabaseOptions opts);
  std::unique_ptr<Connection> acquire_reader();
  void release_reader(std::unique_ptr<Connection> c);

  DatabaseOptions opts_;
  MigrationReport migration_;
  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;  // GUARDED_BY(writer_mu_)
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;  // GUARDED_BY(readers_mu_)
  std::mutex version_mu_;
  std::unique_ptr<Connection> version_conn_;  // GUARDED_BY(version_mu_)
};

// Translates a SQLite exception into an Error with a class (busy/locked -> unavailable,
// constraint -> conflict, corrupt/notadb -> internal with a hint).
Error translate(const std::exception& e, const std::string& what);

}  // namespace hypersdk::store
