// hypersdk db copy --from FILE.db --to postgres://...: a SQLite database into an empty
// PostgreSQL database (store/copy/db_copy.h does the work). Progress on stderr, the table of
// row counts on stdout; the URL's password is never printed.
#include <chrono>
#include <iostream>

#include "cli/cmd_db_copy.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/server_registration.h"
#include "store/copy/db_copy.h"
#include "store/pg/pg_database.h"

namespace hypersdk::cli {

namespace {

void print_report(const store::copy::CopyReport& r, const std::string& from, bool json) {
  if (json) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& c : r.counts)
      tables.push_back({{"table", c.table}, {"sqlite", c.source}, {"postgresql", c.target}});
    print_json(std::cout, {{"from", from},
                           {"to", r.target},
                           {"schema_version", r.schema_version},
                           {"tables", tables},
                           {"skipped", r.skipped},
                           {"rows", r.rows},
                           {"repaired_values", r.repaired},
                           {"seconds", r.seconds},
                           {"committed", r.committed()},
                           {"mismatches", r.mismatches}});
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : r.counts)
    rows.push_back({c.table, std::to_string(c.source), std::to_string(c.target),
                    c.source == c.target ? "ok" : "MISMATCH"});
  print_table(std::cout, {"TABLE", "SQLITE", "POSTGRESQL", ""}, rows);
  for (const auto& s : r.skipped) std::cout << "skipped: " << s << "\n";
  if (r.repaired > 0)
    std::cout << "repaired: " << r.repaired
              << " text values were not valid UTF-8 (PostgreSQL refuses those); their bad bytes "
                 "became U+FFFD\n";
  if (r.committed()) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", r.seconds);
    std::cout << "copied " << r.rows << " rows from " << from << " to " << r.target << " in "
              << secs << " s\n";
  }
}

}  // namespace

void add_db_copy_command(CLI::App& db, Context& ctx) {
  struct Flags {
    std::string from;
    std::string to;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* copy = db.add_subcommand(
      "copy", "Copy a SQLite database (history, schedules, workflows...) into an empty PostgreSQL");
  copy->add_option("--from", f->from, "The SQLite database file")->required();
  copy->add_option("--to", f->to, "The empty PostgreSQL database: postgres://user@host/db")
      ->required();
  copy->add_flag("--json", f->json_out, "Print the report as JSON");
  copy->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      if (!store::pg::is_postgres_url(f->to))
        return ctx.fail(invalid_error("--to " + store::pg::redact_url(f->to) +
                                      ": expected a postgres:// or postgresql:// URL"));
      if (store::pg::is_postgres_url(f->from))
        return ctx.fail(invalid_error("--from names a SQLite file, not a PostgreSQL URL"));
      store::copy::CopyOptions opts;
      opts.from = f->from;
      opts.to = f->to;
      opts.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      opts.server_fresh_ms = kServerFresh.count();
      opts.progress = [](const std::string& line) { std::cerr << "db copy: " << line << "\n"; };
      auto r = store::copy::copy_sqlite_to_postgres(opts);
      if (!r) return ctx.fail(r.error());
      print_report(*r, f->from, f->json_out);
      if (!r->committed()) {
        std::string list;
        for (const auto& m : r->mismatches) list += (list.empty() ? "" : "; ") + m;
        return ctx.fail(make_error(ErrorClass::internal, "row counts differ after the copy (" +
                                                             list +
                                                             "): rolled back, the target is "
                                                             "left as it was"));
      }
      return kExitOk;
    };
  });
}

}  // namespace hypersdk::cli
