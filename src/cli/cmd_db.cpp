// hypersdk db migrate | check | backup PATH (and copy, cmd_db_copy.cpp): the database's schema and
// integrity.
#include <iostream>

#include "cli/cmd_db_copy.h"
#include "cli/commands.h"
#include "cli/db_pg.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "store/backend.h"

namespace hypersdk::cli {

void add_db_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string backup_path;
    bool json_out = false;
    bool no_backup = false;
  };
  auto f = std::make_shared<Flags>();
  auto* db = app.add_subcommand("db", "Database: migrate, check, backup, copy");
  db->require_subcommand(1);

  auto* migrate = db->add_subcommand("migrate", "Bring the schema up to date (backup first)");
  migrate->add_flag("--no-backup", f->no_backup, "Skip the backup taken before migrating");
  migrate->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto cfg = ctx.config();
      if (!cfg) return ctx.fail(cfg.error());
      if (!(*cfg)->get_string("db.url").empty()) {
        // PostgreSQL migrates when it is opened, under an advisory lock (several nodes may
        // start at once); no backup is taken first: `db backup FILE` (pg_dump) before it.
        auto b = store::StoreBackend::open({(*cfg)->get_string("db.url"), {}});
        if (!b) return ctx.fail(b.error());
        auto v = (*b)->schema_version_read();
        if (!v) return ctx.fail(v.error());
        std::cout << "schema is current (version " << *v << ") in " << (*b)->describe() << "\n";
        return 0;
      }
      auto d = ctx.database(/*migrate=*/false, /*create=*/true);
      if (!d) return ctx.fail(d.error());
      auto r = (*d)->migrate(!f->no_backup && (*d)->schema_version() > 0);
      if (!r) return ctx.fail(r.error());
      if (r->from_version == r->to_version) {
        std::cout << "schema is current (version " << r->to_version << ")\n";
      } else {
        std::cout << "migrated schema " << r->from_version << " -> " << r->to_version << "\n";
        if (!r->backup_path.empty()) std::cout << "backup: " << r->backup_path << "\n";
      }
      return 0;
    };
  });

  auto* check = db->add_subcommand("check", "Integrity and schema check");
  check->add_flag("--json", f->json_out, "Print JSON");
  check->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto cfg = ctx.config();
      if (!cfg) return ctx.fail(cfg.error());
      if (const auto& url = (*cfg)->get_string("db.url"); !url.empty())
        return db_check_pg(ctx, url, f->json_out);
      auto d = ctx.database(/*migrate=*/false);
      if (!d) return ctx.fail(d.error());
      auto r = (*d)->check();
      if (f->json_out) {
        print_json(std::cout, {{"ok", r.ok},
                               {"path", (*d)->path()},
                               {"schema_version", r.schema_version},
                               {"binary_schema_version", r.binary_version},
                               {"jobs", r.jobs},
                               {"size_bytes", r.size_bytes},
                               {"wal_bytes", r.wal_bytes},
                               {"problems", r.problems}});
      } else {
        std::cout << "database: " << (*d)->path() << "\n"
                  << "schema:   " << r.schema_version << " (this binary: " << r.binary_version
                  << ")\n"
                  << "jobs:     " << r.jobs << "\n"
                  << "size:     " << r.size_bytes << " bytes (WAL " << r.wal_bytes << ")\n";
        for (const auto& p : r.problems) std::cout << "problem:  " << p << "\n";
        std::cout << (r.ok ? "ok: the database is intact\n" : "NOT OK\n");
      }
      return r.ok ? kExitOk : kExitFailure;
    };
  });

  auto* backup = db->add_subcommand(
      "backup", "Consistent copy of the live database (SQLite: VACUUM INTO; PostgreSQL: pg_dump)");
  backup->add_option("path", f->backup_path, "Destination file (must not exist)")->required();
  backup->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto cfg = ctx.config();
      if (!cfg) return ctx.fail(cfg.error());
      if (const auto& url = (*cfg)->get_string("db.url"); !url.empty())
        return db_backup_pg(ctx, url, f->backup_path);
      auto d = ctx.database(/*migrate=*/false);
      if (!d) return ctx.fail(d.error());
      if (Status s = (*d)->backup_to(f->backup_path); !s.ok()) return ctx.fail(s.error());
      std::cout << "backup written to " << f->backup_path << "\n";
      return 0;
    };
  });

  add_db_copy_command(*db, ctx);
}

}  // namespace hypersdk::cli
