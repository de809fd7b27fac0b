// hypersdk upgrade check: is it safe to put this binary in place of the running one?
//
// Run the NEW binary before installing it (`./build/hypersdk upgrade check`, as the service
// user or root, with the service's config). It reports
//   - the jobs running now (a restart drains them: they finish or are handed back),
//   - the migrations this binary will apply to the database on its first start, and whether
//     a backup will be taken first (and fits on the disk),
//   - a database newer than this binary (it would refuse to start: roll back instead),
//   - config errors, and deprecated or renamed keys with the fix.
// Exit 0 when safe, 1 when not (each reason printed), like `nginx -t`.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/db_backups.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/upgrade_pg.h"
#include "engine/settings.h"
#include "ops/metrics.h"
#include "ops/paths.h"
#include "store/migrations.h"
#include "store/pg/pg_database.h"
#include "store/sqlite_store.h"

namespace hypersdk::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Report {
  std::vector<std::string> problems;  // each makes the upgrade unsafe
  json out = json::object();
};

// The config the service would load, with its warnings kept for the report (Context::config
// prints them instead).
void check_config(Context& ctx, Report& r, ops::Config& config) {
  ops::LoadOptions lo;
  if (!ctx.global.config_path.empty()) lo.path = ctx.global.config_path;
  lo.env = ops::environ_map();
  auto loaded = ops::load_config(lo);
  json c = {{"valid", loaded.ok()}, {"deprecations", json::array()}, {"warnings", json::array()}};
  if (!loaded) {
    c["file"] = nullptr;
    c["error"] = loaded.error().message;
    r.problems.push_back("the config does not load (fix it first, `hypersdk config validate`):\n" +
                         loaded.error().message);
  } else {
    config = std::move(loaded->config);
    c["file"] = config.file() ? json(config.file()->string()) : json(nullptr);
    for (const auto& w : loaded->warnings) {
      // config.cpp words every renamed-key warning "'old' is deprecated (...); rename ...".
      const bool deprecation = w.message.find(" is deprecated (") != std::string::npos;
      c[deprecation ? "deprecations" : "warnings"].push_back(w.to_string());
    }
  }
  if (!ctx.global.db_path.empty())
    (void)config.set_override(store::pg::is_postgres_url(ctx.global.db_path) ? "db.url" : "db.path",
                              ctx.global.db_path, "--db");
  r.out["config"] = std::move(c);
}

void check_database(const ops::Config& config, Report& r) {
  const std::string path =
      ops::resolve_db_path(config.get_string("db.path"), ops::environ_map(), ::geteuid()).string();
  const int binary_version = store::latest_schema_version();
  json d = {
      {"path", path}, {"exists", fs::exists(path)}, {"binary_schema_version", binary_version}};
  r.out["running_jobs"] = {{"count", 0}, {"ids", json::array()}};
  if (!fs::exists(path)) {  // opening would create it
    d["schema_version"] = nullptr;
    d["pending_migrations"] = json::array();
    r.out["database"] = std::move(d);
    return;
  }
  auto opts = engine::database_options(config, path);
  opts.migrate = false;
  auto opened = store::Database::open(opts);
  if (!opened) {
    const Error e = with_backup_hint(opened.error(), path);
    d["error"] = e.message;
    if (auto b = newest_backup(path, binary_version)) d["backup_to_restore"] = *b;
    r.problems.push_back(e.message);
    r.out["database"] = std::move(d);
    return;
  }
  std::shared_ptr<store::Database> db = std::move(opened.value());
  const int version = db->schema_version();
  d["schema_version"] = version;
  json pending = json::array();
  for (const auto& m : store::embedded_migrations())
    if (m.version > version) pending.push_back(m.name);
  d["pending_migrations"] = pending;
  const bool backup = config.get_bool("db.backup_before_migrate");
  d["backup_before_migrate"] = backup;
  d["size_bytes"] = db->size_bytes();
  const auto free = ops::available_bytes(fs::path(path).parent_path().string());
  d["free_bytes"] = free ? json(*free) : json(nullptr);
  if (!pending.empty() && version > 0) {
    if (!backup)
      r.problems.push_back(
          "db.backup_before_migrate is off: take a backup first (`hypersdk db backup FILE`) or "
          "turn it on, or there is no way back to the previous version");
    else if (free && static_cast<std::uint64_t>(db->size_bytes()) > *free)
      r.problems.push_back("not enough free space beside " + path + " for the backup taken " +
                           "before migrating (" + std::to_string(db->size_bytes()) +
                           " bytes database, " + std::to_string(*free) + " bytes free)");
  }
  r.out["database"] = std::move(d);

  // Counting by status works on any schema version; the listing needs the current one.
  store::SqliteStore st(db);
  auto counts = st.job_count_by_status();
  if (!counts) {
    r.problems.push_back("cannot read the jobs: " + counts.error().message);
    return;
  }
  const auto it = counts->find("running");
  const std::int64_t running = it == counts->end() ? 0 : it->second;
  json ids = json::array();
  if (running > 0 && pending.empty()) {
    store::JobFilter f;
    f.status = core::JobStatus::running;
    f.limit = 1000;
    if (auto jobs = st.job_list(f))
      for (const auto& j : *jobs)
        ids.push_back({{"id", core::format_job_id(j.id)}, {"lease_owner", j.lease_owner}});
  }
  r.out["running_jobs"] = {{"count", running}, {"ids", ids}};
  if (running > 0)
    r.problems.push_back(std::to_string(running) +
                         " job(s) running: wait for them (`hyperctl list --status=running`) or "
                         "accept that the restart hands them back to the queue to run again");
}

void print_text(const Report& r) {
  const json& o = r.out;
  std::cout << "hypersdk " << HYPERSDK_VERSION << " (database schema "
            << store::latest_schema_version() << ")\n";
  const json& c = o["config"];
  std::cout << "config:     "
            << (c["file"].is_null() ? std::string("(none found: defaults)")
                                    : c["file"].get<std::string>())
            << (c["valid"].get<bool>() ? "" : " INVALID") << "\n";
  for (const auto& d : c["deprecations"])
    std::cout << "  deprecated: " << d.get<std::string>() << "\n";
  for (const auto& w : c["warnings"]) std::cout << "  warning:    " << w.get<std::string>() << "\n";
  if (o.contains("database")) {
    const json& d = o["database"];
    std::cout << "database:   " << d["path"].get<std::string>() << "\n";
    if (d.contains("driver") && d.contains("error")) {
      std::cout << "  unreadable (see below)\n";
    } else if (!d["exists"].get<bool>()) {
      std::cout << "  not created yet: the first start creates it at schema "
                << store::latest_schema_version() << "\n";
    } else if (d.contains("schema_version")) {
      std::cout << "  schema:     " << d["schema_version"]
                << " (this binary: " << d["binary_schema_version"] << ")\n";
      if (d["pending_migrations"].empty()) {
        std::cout << "  migrations: none pending\n";
      } else {
        std::cout << "  migrations: " << d["pending_migrations"].size()
                  << " pending, applied at the next start:";
        for (const auto& m : d["pending_migrations"]) std::cout << " " << m.get<std::string>();
        std::cout << "\n  backup:     "
                  << (d.contains("driver")
                          ? std::string("none taken by hypersdk on PostgreSQL: run `hypersdk db "
                                        "backup FILE` (pg_dump) before the first start")
                      : d["backup_before_migrate"].get<bool>()
                          ? "taken first, as " + d["path"].get<std::string>() + ".backup-v" +
                                d["schema_version"].dump() + "-<time>"
                          : std::string("OFF (db.backup_before_migrate: false)"))
                  << "\n";
      }
    }
  }
  if (o.contains("nodes")) {
    std::cout << "nodes:      " << o["nodes"].size() << " live";
    for (const auto& n : o["nodes"])
      std::cout << "\n  " << n["address"].get<std::string>() << " version "
                << n["version"].get<std::string>() << (n["older"].get<bool>() ? " (older)" : "");
    std::cout << "\n";
  }
  if (o.contains("running_jobs")) {
    const json& j = o["running_jobs"];
    std::cout << "running:    " << j["count"] << " job(s)";
    for (const auto& id : j["ids"]) std::cout << " " << id["id"].get<std::string>();
    std::cout << "\n";
  }
  if (r.problems.empty()) {
    std::cout << "safe to upgrade\n";
  } else {
    std::cout << "NOT safe to upgrade:\n";
    for (const auto& p : r.problems) std::cout << "  - " << p << "\n";
  }
}

int upgrade_check(Context& ctx, bool json_out) {
  Report r;
  ops::Config config;
  check_config(ctx, r, config);
  if (const auto& url = config.get_string("db.url"); !url.empty())
    upgrade_check_pg(url, r.out, r.problems);
  else
    check_database(config, r);
  r.out["binary"] = {{"version", HYPERSDK_VERSION},
                     {"schema_version", store::latest_schema_version()}};
  r.out["problems"] = r.problems;
  r.out["safe"] = r.problems.empty();
  if (json_out) {
    print_json(std::cout, r.out);
  } else {
    print_text(r);
  }
  return r.problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_upgrade_command(CLI::App& app, Context& ctx) {
  auto json_out = std::make_shared<bool>(false);
  auto* upgrade = app.add_subcommand("upgrade", "Upgrades: check before replacing the binary");
  upgrade->require_subcommand(1);
  auto* check = upgrade->add_subcommand(
      "check", "Running jobs, pending migrations, config deprecations; exit 1 when not safe");
  check->add_flag("--json", *json_out, "Print JSON");
  check->callback([&ctx, json_out] {
    ctx.action = [&ctx, json_out] { return upgrade_check(ctx, *json_out); };
  });
}

}  // namespace hypersdk::cli
