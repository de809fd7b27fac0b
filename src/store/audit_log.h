// The audit trail port (schema/0002 + 0010: audit_log): who did what to which object, when,
// through which face and in which API request. Emergency runs write their row inside the fire
// transaction (sqlite_schedule_fire.cpp); every other action appends one here right after it
// committed. Kept beside the store port, like the server registry: it is a log of operator
// actions, not job state. SqliteAuditLog (below, audit_log.cpp) keeps it in the SQLite
// database, pg::PgAuditLog (store/pg/pg_audit_log.h) in PostgreSQL: the same rows through the
// same three operations, each one transaction.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/database.h"
#include "store/schedule_types.h"

namespace hypersdk::store {

struct AuditRecord {
  AuditEntry entry;        // id is assigned on append
  std::string request_id;  // X-Request-ID of the API request; empty from the CLI
  std::string source;      // "api" | "cli" | "serve"
};

struct AuditQuery {
  std::optional<core::TimeMs> since;  // at >= since
  std::optional<std::string> actor;   // exact match
  std::optional<std::string> action;  // exact match, e.g. "jobs.cancel"
  int limit = 100;                    // 1..10000, newest first
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // The new row's id.
  virtual Result<std::int64_t> audit_append(const AuditRecord& record) = 0;
  virtual Result<std::vector<AuditRecord>> audit_query(const AuditQuery& query) = 0;
  // Deletes up to `batch` rows older than `before`; how many went.
  virtual Result<int> audit_prune(core::TimeMs before, int batch = 1000) = 0;
};

class SqliteAuditLog final : public AuditLog {
 public:
  explicit SqliteAuditLog(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<std::int64_t> audit_append(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> audit_query(const AuditQuery& query) override;
  Result<int> audit_prune(core::TimeMs before, int batch = 1000) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace hypersdk::store
