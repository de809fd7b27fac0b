#include "cli/context.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/audited_backend.h"
#include "cli/db_backups.h"
#include "cli/exit_codes.h"
#include "cli/live_server.h"
#include "cli/local_backend.h"
#include "cli/remote_backend.h"
#include "engine/settings.h"
#include "ops/log_journal.h"
#include "ops/paths.h"
#include "store/pg/pg_database.h"

namespace hypersdk::cli {

Result<std::shared_ptr<const ops::Config>> Context::config() {
  if (config_) return config_;
  ops::LoadOptions lo;
  if (!global.config_path.empty()) lo.path = global.config_path;
  lo.env = ops::environ_map();
  auto loaded = ops::load_config(lo);
  if (!loaded) return loaded.error();
  for (const auto& w : loaded->warnings) std::cerr << w.to_string() << "\n";
  if (!global.db_path.empty())
    if (Status s = loaded->config.set_override(
            store::pg::is_postgres_url(global.db_path) ? "db.url" : "db.path", global.db_path,
            "--db");
        !s.ok())
      return s.error();
  for (const auto& [key, value, flag] : overrides)
    if (Status s = loaded->config.set_override(key, value, flag); !s.ok()) return s.error();
  config_ = std::make_shared<const ops::Config>(std::move(loaded->config));
  return config_;
}

Result<std::string> Context::db_path() {
  auto cfg = config();
  if (!cfg) return cfg.error();
  return ops::resolve_db_path((*cfg)->get_string("db.path"), ops::environ_map(), ::geteuid())
      .string();
}

Error missing_database_error(const std::string& path, const std::string& service_path) {
  std::string msg =
      "no database at " + path + " (only `hypersdk serve` and `hypersdk db migrate` create one)";
  std::error_code ec;
  if (path != service_path && std::filesystem::exists(service_path, ec))
    msg += "; the service's database is " + service_path + ": use --db " + service_path +
           " (as root or the hypersdk user)";
  return make_error(ErrorClass::not_found, msg);
}

Result<std::shared_ptr<store::Database>> Context::database(bool migrate, bool create) {
  if (db_) return db_;
  auto cfg = config();
  if (!cfg) return cfg.error();
  // Never a SQLite file named like the URL: the commands that need SQLite's file itself take
  // their PostgreSQL path before asking for it (db check/backup: cli/db_pg.h; upgrade check:
  // cli/upgrade_pg.h); the others use store_backend().
  if (const auto& url = (*cfg)->get_string("db.url"); !url.empty())
    return invalid_error("db.url is " + store::pg::redact_url(url) +
                         ": this command works on a SQLite database only (PostgreSQL is not "
                         "supported here yet); use --server URL to go through a running server, "
                         "or --db FILE");
  auto path = db_path();
  if (!path) return path.error();
  std::error_code ec;
  if (!create && !std::filesystem::exists(*path, ec))
    return missing_database_error(
        *path, (std::filesystem::path(ops::kStateDir) / ops::kDbFileName).string());
  auto opts = engine::database_options(**cfg, *path);
  opts.migrate = migrate;
  auto db = store::Database::open(opts);
  if (!db) return with_backup_hint(db.error(), *path);
  db_ = std::move(db.value());
  return db_;
}

Result<std::shared_ptr<store::StoreBackend>> Context::store_backend() {
  if (backend_) return backend_;
  auto cfg = config();
  if (!cfg) return cfg.error();
  if (const auto& url = (*cfg)->get_string("db.url"); !url.empty()) {
    // Only serve and db migrate create the schema (DESIGN §3): a command on a database without
    // it is not_found, as on a missing SQLite file, rather than making tables in whatever
    // database the URL names. (An older schema is migrated on open, as SQLite's is.)
    constexpr const char* kMarker = "hypersdk-no-schema";
    if (Status s = store::pg::exec_once(
            url, std::string("DO $$ BEGIN IF to_regclass('schema_version') IS NULL THEN RAISE "
                             "EXCEPTION '") +
                     kMarker + "'; END IF; END $$");
        !s.ok()) {
      if (s.error().message.find(kMarker) == std::string::npos) return s.error();
      return make_error(ErrorClass::not_found,
                        "no hypersdk database in " + store::pg::redact_url(url) +
                            " (only `hypersdk serve` and `hypersdk db migrate` create one)");
    }
    auto opened = store::StoreBackend::open({url, {}});
    if (!opened) return opened.error();
    backend_ = std::move(opened.value());
    return backend_;
  }
  auto db = database();
  if (!db) return db.error();
  backend_ = store::StoreBackend::over_sqlite(*db);
  return backend_;
}

std::string Context::database_name() {
  auto cfg = config();
  if (cfg && !(*cfg)->get_string("db.url").empty())
    return store::pg::redact_url((*cfg)->get_string("db.url"));
  auto path = db_path();
  return path ? *path : std::string("the database");
}

std::string Context::token() const {
  if (!global.token.empty()) return global.token;
  if (const char* t = std::getenv("HYPERSDK_TOKEN")) return t;
  return {};
}

ClientTls Context::client_tls() const {
  return {global.cacert, global.insecure};
}

Result<std::optional<std::string>> Context::server_address() {
  if (!global.server.empty()) return std::optional<std::string>(global.server);
  auto backend = store_backend();
  if (!backend) return backend.error();
  if (global.local) {
    if (global.verbose)
      std::cerr << "hypersdk: working on the database " << (*backend)->describe()
                << " directly (--local)\n";
    return std::optional<std::string>();
  }
  std::string why_not;
  if (auto live = find_live_server(*(*backend)->servers, token(), &why_not, client_tls())) {
    if (global.verbose)
      std::cerr << "hypersdk: using the server at " << live->address << " (pid " << live->pid
                << " on " << live->host << ", version " << live->version << ", registered in "
                << (*backend)->describe() << ")\n";
    return std::optional<std::string>(live->address);
  }
  if (global.verbose)
    std::cerr << "hypersdk: working on the database " << (*backend)->describe()
              << " directly: " << why_not << "\n";
  return std::optional<std::string>();
}

Result<std::unique_ptr<Backend>> Context::backend() {
  auto address = server_address();
  if (!address) return address.error();
  if (*address)
    return std::unique_ptr<Backend>(
        std::make_unique<RemoteBackend>(**address, token(), client_tls()));
  auto cfg = config();
  if (!cfg) return cfg.error();
  auto backend = store_backend();
  if (!backend) return backend.error();
  return std::unique_ptr<Backend>(
      std::make_unique<AuditedLocalBackend>(*backend, engine::admission_policy(**cfg)));
}

int Context::fail(const Error& e) const {
  // Under systemd the reason serve exits is an error for `journalctl -p err` too.
  const char* journal = std::getenv("JOURNAL_STREAM");
  if (journal && ops::stderr_is_journal(journal))
    std::cerr << ops::syslog_prefix(ops::LogLevel::error);
  std::cerr << "hypersdk: error: " << e.message << "\n";
  return exit_code_for(e.cls);
}

}  // namespace hypersdk::cli
