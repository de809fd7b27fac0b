// `hypersdk db copy`: moves a hypersdk SQLite database into an empty PostgreSQL database, so
// an installation that outgrows one machine keeps its history (issue 17 item 3).
//
// Every table of the schema is copied with its ids (the column lists are read from both
// databases: a SQLite column without a PostgreSQL twin stops the copy), parents before the
// tables whose foreign keys name them, in batches, in ONE PostgreSQL transaction: a failure
// leaves the target as it was. Each identity sequence then moves past the largest id (and past
// SQLite's AUTOINCREMENT high-water mark), so new rows never reuse an id. Before committing, the
// rows of every table are counted on both sides; any difference rolls the copy back.
// Not copied: `servers` (rows of running serve processes; each serve on PostgreSQL registers
// itself), and PostgreSQL's own bookkeeping (schema_version), which its migrations wrote.
// Refused: a source a serve is running on (a live heartbeat), a source whose schema is not this
// binary's, a target that already holds data (copying never merges).
//
// Thread safety: one call at a time per source file; uses its own connections.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::store::copy {

struct CopyOptions {
  std::string from;  // the SQLite file
  std::string to;    // postgres://... (or a libpq conninfo)
  // Real time (ms since the epoch) and how recent a server's heartbeat must be to count as
  // running (the CLI's own rule, cli/server_registration.h).
  std::int64_t now_ms = 0;
  std::int64_t server_fresh_ms = 15'000;
  // Told one line per step ("jobs: 100000 rows in 2.1 s"); may be empty.
  std::function<void(const std::string&)> progress;
};

struct TableCount {
  std::string table;
  std::int64_t source = 0;  // rows in SQLite
  std::int64_t target = 0;  // rows in PostgreSQL after the copy, before the commit
};

struct CopyReport {
  std::string target;  // the URL without its password
  int schema_version = 0;
  std::vector<TableCount> counts;    // in copy order
  std::vector<std::string> skipped;  // "servers (why)"
  std::int64_t rows = 0;
  std::int64_t repaired = 0;  // text values whose invalid UTF-8 (or NUL) became U+FFFD
  double seconds = 0;
  // Tables whose counts differ ("jobs: 10 in SQLite, 9 in PostgreSQL"); when not empty the
  // transaction was rolled back and the target holds nothing of the copy.
  std::vector<std::string> mismatches;
  bool committed() const { return mismatches.empty(); }
};

// The tables whose two counts differ, described for the operator.
std::vector<std::string> count_mismatches(const std::vector<TableCount>& counts);

// Copies opts.from into opts.to. Errors: not_found (no file), invalid (not a hypersdk
// database, a table or column without a twin, dangling references), conflict (schema version
// differs, a serve is running on the file, the target holds data), unavailable (PostgreSQL
// unreachable). A count mismatch is a report with mismatches, not an error.
Result<CopyReport> copy_sqlite_to_postgres(const CopyOptions& opts);

}  // namespace hypersdk::store::copy
