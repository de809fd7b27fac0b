// "The database" of one process, whichever driver holds it: opened once from a SQLite path or a
// postgres:// URL (issue 17), it hands out the store port and the side ports that live in the
// same database (outbox, audit log, backup and upload records, schedule fires that start
// runs), plus what the runtime needs of the database itself: write health and its probe, the
// schema version for readiness, the WAL checkpoint (SQLite only) and the statistics the
// /metrics scrape and the dashboard read. Nothing above store/ needs to know the driver,
// except for what only SQLite has (sqlite(): the WAL, the file's size).
// Thread safety: every method may be called from any thread; the ports are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/audit_log.h"
#include "store/backup_store.h"
#include "store/database.h"
#include "store/job_stats.h"
#include "store/leader_lease.h"
#include "store/outbox.h"
#include "store/schedule_fire_runs.h"
#include "store/server_registry.h"
#include "store/store.h"
#include "store/upload_store.h"

namespace hypersdk::store {

struct BackendOptions {
  // postgres://... (or postgresql://): PostgreSQL; empty: the SQLite file sqlite.path.
  std::string url;
  DatabaseOptions sqlite;  // path, pragmas and whether to migrate (SQLite)
};

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // Opens the database and brings its schema up to date (SQLite: when sqlite.migrate;
  // PostgreSQL: always, under an advisory lock). Errors name the path or the redacted URL.
  static Result<std::shared_ptr<StoreBackend>> open(const BackendOptions& options);
  // The ports over a SQLite database opened already (the CLI opens it itself: only some
  // commands may create it).
  static std::shared_ptr<StoreBackend> over_sqlite(std::shared_ptr<Database> db);

  std::shared_ptr<Store> store;
  std::shared_ptr<Outbox> outbox;
  std::shared_ptr<AuditLog> audit;
  std::shared_ptr<BackupStore> backups;
  std::shared_ptr<UploadStore> uploads;
  std::shared_ptr<ScheduleFireRuns> fire_runs;
  // Several nodes (issue 17 item 2): the running serves, and the maintenance leader's lease.
  std::shared_ptr<ServerRegistry> servers;
  std::shared_ptr<LeaderLease> leader_lease;

  // "postgresql" or "sqlite".
  virtual const char* driver() const = 0;
  // For logs and messages: the SQLite path, or the URL without its password.
  virtual std::string describe() const = 0;
  // The SQLite database; nullptr on PostgreSQL.
  virtual std::shared_ptr<Database> sqlite() const { return nullptr; }
  // Migrations this open applied (from == to when none).
  virtual MigrationReport migration() const = 0;

  // Readiness: the schema version, read without waiting for a writer; and the version this
  // binary needs.
  virtual Result<int> schema_version_read() = 0;
  virtual int schema_version_wanted() const = 0;
  // Whether writes succeed (a failed write marks it failing, the next commit clears it).
  virtual WriteHealth write_health() const = 0;
  // A one-row write that tells whether writes work again.
  virtual Status probe_write(core::TimeMs now) = 0;
  // wal_checkpoint(TRUNCATE) on SQLite; nothing on PostgreSQL (the server manages its WAL).
  virtual Status checkpoint() = 0;

  // Statistics for /metrics and the dashboard (store/job_stats.h, store/workflow_stats.h).
  virtual Result<std::vector<OutcomeCount>> job_outcome_counts(core::TimeMs since) = 0;
  virtual Result<std::optional<core::TimeMs>> job_oldest_due(core::TimeMs now) = 0;
  virtual Result<std::int64_t> event_last_id() = 0;
  virtual Result<std::map<std::string, std::int64_t>> workflow_count_by_status() = 0;
};

}  // namespace hypersdk::store
