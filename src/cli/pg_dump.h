// `db backup` on PostgreSQL: pg_dump in its custom format (what pg_restore reads), run as an
// argv without a shell. The password never reaches argv (other users see it in ps) or a log:
// it is taken out of the URL and handed to the child as PGPASSWORD in its environment only.
// Thread safety: functions without shared state.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::cli {

struct PgDumpCall {
  std::vector<std::string> argv;  // pg_dump ... --dbname=<URL without its password>
  std::string password;           // for PGPASSWORD; empty when the URL carries none
};

// The pg_dump invocation that writes `path`. The password is taken from a postgres:// URL's
// user:password@ (percent-decoded, as libpq does), its ?password= parameter, or a conninfo's
// password=; the URL passed on keeps everything else.
PgDumpCall pg_dump_call(const std::string& url, const std::string& path);

// Runs pg_dump into `path` (which must not exist; created 0600 before pg_dump writes it, and
// removed when the dump fails). Errors: conflict when `path` exists, not_found naming pg_dump
// when it is not on PATH, unavailable with pg_dump's own message when it fails.
Status pg_dump_to(const std::string& url, const std::string& path);

}  // namespace hypersdk::cli
