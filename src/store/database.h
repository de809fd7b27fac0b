// The SQLite database: connections, pragmas, migrations, backup and integrity check.
//
// One writer connection (every write transaction is BEGIN IMMEDIATE, serialized by a mutex)
// and a small pool of reader connections; WAL lets readers run beside the writer.
// Thread safety: all methods are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
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
  // After a storage error (a full disk) writes commit one at a time until one commits with at
  // least this much free on the database's filesystem: the WAL may grow by up to
  // journal_size_limit between checkpoints, and a shared transaction that hits a full disk
  // fails every write in it (database_write.cpp).
  std::int64_t regroup_free_bytes = 64 << 20;
};

// A connection with a cache of prepared statements. Not thread-safe: one owner at a time.
class Connection {
 public:
  Connection(const std::string& path, int flags, const DatabaseOptions& opts);
  SQLite::Database& db() { return db_; }
  // Returns the cached statement for `sql`, reset and with bindings cleared.
  // REQUIRES: `sql` has static storage duration (it is the cache key).
  SQLite::Statement& stmt(const char* sql);
  // Resets every cached statement so none holds a read or write open across COMMIT. Never
  // throws: sqlite3_reset repeats the error of a failed step, which must not stop the rest.
  void reset_all() noexcept;
  // Resets every statement and rolls back an open transaction, whatever failed before.
  // Returns false when a transaction is still open after that (the connection is unusable).
  bool make_clean() noexcept;

 private:
  SQLite::Database db_;
  std::vector<std::pair<const char*, std::unique_ptr<SQLite::Statement>>> cache_;
};

// Whether writes succeed, kept by Database::write without taking the writer mutex to read.
struct WriteHealth {
  bool failing = false;
  std::string reason;         // the last failed write's error, e.g. "... (disk full)"
  std::int64_t failures = 0;  // failed writes in a row
  std::int64_t since_ms = 0;  // wall time of the first of them, ms since the epoch
  std::int64_t episodes = 0;  // times writes began to fail since open (never reset)
  std::string last_reason;    // the last failed write's error, kept after recovery
  // Writes commit one at a time (no group commit) since a storage error, until one commits
  // with DatabaseOptions::regroup_free_bytes free (set on failure, cleared by that commit).
  bool single = false;
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
  // rolls back otherwise or on an exception. SQLite errors become Error values. Concurrent
  // writes share one transaction and one commit (group commit, database_write.cpp), each in
  // its own savepoint: `fn` may run on another caller's thread, and must not assume it is
  // the transaction's only write.
  Status write(const std::function<Status(Connection&)>& fn);
  // Leaves the writer clean on every path: statements reset, transaction rolled back (or the
  // connection reopened when that fails), so one failed write (a full disk, an exception
  // from `fn`) never blocks the next. A failed commit or SQLite error marks write_health()
  // failing; a commit that changed rows, or probe_write(), clears it.
  // Runs `fn` on a reader connection inside a read transaction (one consistent snapshot).
  Status read(const std::function<Status(Connection&)>& fn);

  WriteHealth write_health() const;
  // Writes that committed, and the transactions that committed them: with group commit the
  // second is smaller (hypersdk_db_commits_total / hypersdk_db_writes_total).
  struct WriteCounts {
    std::int64_t writes = 0;
    std::int64_t commits = 0;
  };
  WriteCounts write_counts() const { return {writes_.load(), commits_.load()}; }
  // A one-row write (store_probe) that tells whether writes succeed again; clears or sets
  // write_health(). For the recovery probe while writes fail: nothing else may write then.
  Status probe_write(std::int64_t now_ms);
  // The schema version read on a reader connection: never waits for the writer (a long
  // checkpoint or write), so readiness can use it.
  Result<int> schema_version_read();

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
  void note_write(const Status& s, bool changed);
  std::unique_ptr<Connection> writer_conn();

  // Group commit (database_write.cpp).
  struct PendingWrite;
  Status write_alone(const std::function<Status(Connection&)>& fn);
  void write_group(const std::vector<PendingWrite*>& group);
  void finish_write(const Status* storage_error, bool changed);
  bool space_to_regroup() const;
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<PendingWrite*> waiting_;  // GUARDED_BY(group_mu_), in arrival order
  bool group_leader_ = false;           // GUARDED_BY(group_mu_): a group is being written
  // Set by a storage error, cleared by a commit with space to spare (see WriteHealth::single):
  // while set every write commits alone, so a disk-full episode fails no write for another's.
  std::atomic<bool> single_{false};
  std::atomic<std::int64_t> writes_{0};
  std::atomic<std::int64_t> commits_{0};

  mutable std::mutex health_mu_;
  WriteHealth health_;  // GUARDED_BY(health_mu_)
  std::mutex version_mu_;
  std::unique_ptr<Connection> version_conn_;  // GUARDED_BY(version_mu_)
};

// Translates a SQLite exception into an Error with a class (busy/locked -> unavailable,
// constraint -> conflict, corrupt/notadb -> internal with a hint).
Error translate(const std::exception& e, const std::string& what);

}  // namespace hypersdk::store
