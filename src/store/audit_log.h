// The audit trail (schema/0002 + 0010: audit_log): who did what to which object, when, through
// which face and in which API request. Emergency runs write their row inside the fire
// transaction (sqlite_schedule_fire.cpp); every other action appends one here right after it
// committed. Kept beside the store port, like the server registry: it is a log of operator
// actions, not job state, and a PostgreSQL store would keep the same rows through the same
// three operations.
//
// Thread safety: as Database: every method may be called from any thread.
#pragma once

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
  // REQUIRES: `db` outlives the log.
  explicit AuditLog(Database& db) : db_(&db) {}

  Result<std::int64_t> audit_append(const AuditRecord& record);
  Result<std::vector<AuditRecord>> audit_query(const AuditQuery& query);
  // Deletes up to `batch` rows older than `before`; how many went.
  Result<int> audit_prune(core::TimeMs before, int batch = 1000);

 private:
  Database* db_;
};

}  // namespace hypersdk::store
