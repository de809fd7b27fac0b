// What `db check` and `upgrade check` read of a PostgreSQL database, without changing it: the
// migrations recorded in schema_version, the live nodes and their versions, the running jobs,
// and the integrity checks that mean something on PostgreSQL (indexes a failed CREATE INDEX
// CONCURRENTLY left invalid, constraints added NOT VALID and never validated). SQLite's page
// checks (integrity_check, foreign_key_check) have no counterpart here: the server owns its
// pages (pg_amcheck checks them) and enforces foreign keys on every write.
// Thread safety: free functions; the PgDatabase is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/job.h"
#include "store/pg/pg_database.h"
#include "store/server_registry.h"

namespace hypersdk::store::pg {

struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string applied_at;  // ISO 8601 UTC, to the millisecond (migrations follow each other fast)
};

struct PgInspection {
  std::string server_version;  // PostgreSQL's server_version
  bool has_schema = false;     // schema_version exists: serve or db migrate made this database
  std::vector<AppliedMigration> applied;  // ordered by version
  int schema_version = 0;                 // the highest applied, 0 without a schema
  std::int64_t size_bytes = 0;            // pg_database_size
  std::optional<std::int64_t> jobs;       // nullopt before the jobs table exists
  std::int64_t running_jobs = 0;
  std::vector<std::pair<core::JobId, std::string>> running;  // id, lease owner; the first 1000
  std::vector<ServerEntry> live_nodes;  // heartbeat within kNodeFreshMs of `now`
  std::vector<std::string> invalid_indexes;
  std::vector<std::string> unvalidated_constraints;
};

// One read-only snapshot of the database (REPEATABLE READ READ ONLY). Errors: unavailable
// when the server cannot be reached, naming the redacted URL.
Result<PgInspection> inspect(PgDatabase& db, core::TimeMs now);

// The schema version this binary's PostgreSQL migrations end at.
int binary_schema_version();

// What is wrong with the recorded migrations against this binary's list: a version missing
// below the highest (applied out of order or deleted), a name that is not this binary's for
// that version, a version newer than this binary, and a schema behind it. Empty when the
// record is exactly 1..N with this binary's names and N is this binary's latest.
std::vector<std::string> migration_problems(const std::vector<AppliedMigration>& applied);

// The integrity problems of an inspection (invalid indexes, unvalidated constraints).
std::vector<std::string> integrity_problems(const PgInspection& in);

}  // namespace hypersdk::store::pg
