#include "cli/context.h"

#include <unistd.h>

#include <iostream>

#include "cli/exit_codes.h"
#include "cli/local_backend.h"
#include "cli/remote_backend.h"
#include "engine/settings.h"
#include "ops/paths.h"

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
    if (Status s = loaded->config.set_override("db.path", global.db_path, "--db"); !s.ok())
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

Result<std::shared_ptr<store::Database>> Context::database(bool migrate) {
  if (db_) return db_;
  auto cfg = config();
  if (!cfg) return cfg.error();
  auto path = db_path();
  if (!path) return path.error();
  auto opts = engine::database_options(**cfg, *path);
  opts.migrate = migrate;
  auto db = store::Database::open(opts);
  if (!db) return db.error();
  db_ = std::move(db.value());
  return db_;
}

Result<std::unique_ptr<Backend>> Context::backend() {
  if (!global.server.empty()) {
    std::string token = global.token;
    if (token.empty())
      if (const char* t = std::getenv("HYPERSDK_TOKEN")) token = t;
    return std::unique_ptr<Backend>(std::make_unique<RemoteBackend>(global.server, token));
  }
  auto cfg = config();
  if (!cfg) return cfg.error();
  auto db = database();
  if (!db) return db.error();
  return std::unique_ptr<Backend>(
      std::make_unique<LocalBackend>(*db, engine::admission_policy(**cfg)));
}

int Context::fail(const Error& e) const {
  std::cerr << "hypersdk: error: " << e.message << "\n";
  return exit_code_for(e.cls);
}

}  // namespace hypersdk::cli
