#include "cli/db_pg.h"

#include <chrono>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/pg_dump.h"
#include "store/pg/pg_inspect.h"

namespace hypersdk::cli {

namespace {

using nlohmann::json;

// What SQLite's check does that has no meaning here: said, not pretended.
const std::vector<std::string> kNotes = {
    "page checks (SQLite's integrity_check) do not apply: PostgreSQL owns its pages; run "
    "pg_amcheck on the server for them",
    "foreign keys are enforced by PostgreSQL on every write (SQLite's foreign_key_check does "
    "not apply); constraints added NOT VALID are reported below",
    "WAL: the server's own (no WAL file to measure, wal_bytes is null)",
};

core::TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int db_check_pg(Context& ctx, const std::string& url, bool json_out) {
  auto db = store::pg::PgDatabase::open_unmigrated(url);
  if (!db) return ctx.fail(db.error());
  auto in = store::pg::inspect(**db, now_ms());
  if (!in) return ctx.fail(in.error());
  const std::string name = (*db)->url_redacted();
  if (!in->has_schema)
    return ctx.fail(
        make_error(ErrorClass::not_found,
                   "no hypersdk database in " + name +
                       " (only `hypersdk serve` and `hypersdk db migrate` create one)"));
  std::vector<std::string> problems = store::pg::migration_problems(in->applied);
  for (auto& p : store::pg::integrity_problems(*in)) problems.push_back(std::move(p));
  const bool ok = problems.empty();
  const int binary = store::pg::binary_schema_version();
  if (json_out) {
    json migrations = json::array();
    for (const auto& m : in->applied)
      migrations.push_back(
          {{"version", m.version}, {"name", m.name}, {"applied_at", m.applied_at}});
    print_json(std::cout, {{"ok", ok},
                           {"driver", "postgresql"},
                           {"path", name},
                           {"server_version", in->server_version},
                           {"schema_version", in->schema_version},
                           {"binary_schema_version", binary},
                           {"migrations", migrations},
                           {"jobs", in->jobs ? json(*in->jobs) : json(nullptr)},
                           {"size_bytes", in->size_bytes},
                           {"wal_bytes", nullptr},
                           {"problems", problems},
                           {"notes", kNotes}});
  } else {
    std::cout << "database: " << name << " (PostgreSQL " << in->server_version << ")\n"
              << "schema:   " << in->schema_version << " (this binary: " << binary << "), "
              << in->applied.size() << " migration(s) recorded\n"
              << "jobs:     " << (in->jobs ? std::to_string(*in->jobs) : "(no jobs table)") << "\n"
              << "size:     " << in->size_bytes << " bytes (pg_database_size)\n";
    for (const auto& n : kNotes) std::cout << "note:     " << n << "\n";
    for (const auto& p : problems) std::cout << "problem:  " << p << "\n";
    std::cout << (ok ? "ok: the database is intact\n" : "NOT OK\n");
  }
  return ok ? kExitOk : kExitFailure;
}

int db_backup_pg(Context& ctx, const std::string& url, const std::string& path) {
  if (Status s = pg_dump_to(url, path); !s.ok()) return ctx.fail(s.error());
  std::cout << "backup written to " << path << " (pg_dump custom format of "
            << store::pg::redact_url(url) << ")\n"
            << "restore into an empty database with: pg_restore --no-owner --dbname=URL " << path
            << "\n";
  return 0;
}

}  // namespace hypersdk::cli
