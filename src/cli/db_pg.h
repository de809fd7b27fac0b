// `db check` and `db backup` on PostgreSQL (db.url / --db postgres://...); cmd_db.cpp calls
// them when the configured database is PostgreSQL. Declared apart from commands.h so that only
// cmd_db.cpp depends on it.
#pragma once

#include <string>

#include "cli/context.h"

namespace hypersdk::cli {

// The same report and exit codes as on SQLite (0 intact, 1 problems found, the error's code
// when the database cannot be read), with the PostgreSQL checks in place of SQLite's page checks.
int db_check_pg(Context& ctx, const std::string& url, bool json_out);
// pg_dump in the custom format to `path` (cli/pg_dump.h).
int db_backup_pg(Context& ctx, const std::string& url, const std::string& path);

}  // namespace hypersdk::cli
