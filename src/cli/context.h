// Shared state of one CLI invocation: global flags, the configuration (loaded once, on
// demand), the database and the backend a command talks to, and error reporting.
// Thread safety: used by the main thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/api_client.h"
#include "cli/backend.h"
#include "core/error.h"
#include "ops/config.h"
#include "store/backend.h"
#include "store/database.h"

namespace hypersdk::cli {

struct GlobalOptions {
  std::string config_path;  // --config
  std::string db_path;      // --db
  std::string server;       // --server URL: use the HTTP API instead of the database
  std::string token;        // --token (else $HYPERSDK_TOKEN)
  bool local = false;       // --local: the database even when a server is running
  bool verbose = false;     // --verbose: say which path (server or database) a command takes
  std::string cacert;       // --cacert: PEM bundle that verifies an https:// server
  bool insecure = false;    // --insecure: do not verify an https:// server at all
};

class Context {
 public:
  GlobalOptions global;
  // Set by the chosen subcommand's callback; run after parsing. Returns the exit code.
  std::function<int()> action;
  // Flags of the chosen command that override config keys ("api.listen" -> value, flag).
  std::vector<std::tuple<std::string, std::string, std::string>> overrides;

  // Loads, validates and applies overrides once; prints warnings to stderr.
  Result<std::shared_ptr<const ops::Config>> config();
  Result<std::string> db_path();
  // Opens the database. Only `serve` and `db migrate` create one (create = true): for every
  // other command a missing file is an error of class not_found naming the path.
  // SQLite only: db.url (PostgreSQL) is an error naming the command's limit.
  Result<std::shared_ptr<store::Database>> database(bool migrate = true, bool create = false);
  // The database with its ports, on SQLite (as database()) or PostgreSQL (db.url / --db
  // postgres://...; migrated on open, as serve does).
  Result<std::shared_ptr<store::StoreBackend>> store_backend();
  // What the commands work on: the SQLite path, or the URL without its password.
  std::string database_name();
  // --server URL; else a live server registered in the database (unless --local); else the
  // database itself. With --verbose, says on stderr which one and why.
  Result<std::unique_ptr<Backend>> backend();
  // The same choice for commands that talk to the API themselves: the server's address, or
  // nullopt for the database.
  Result<std::optional<std::string>> server_address();
  // The token for API calls: --token, else $HYPERSDK_TOKEN.
  std::string token() const;
  // --cacert / --insecure, for every API client this invocation makes.
  ClientTls client_tls() const;

  // Prints "hypersdk: error: ..." to stderr and returns the exit code for its class.
  int fail(const Error& e) const;

 private:
  std::shared_ptr<const ops::Config> config_;
  std::shared_ptr<store::Database> db_;
  std::shared_ptr<store::StoreBackend> backend_;
};

// The error for a command run where there is no database: names `path`, and `service_path`
// when that file exists (the operator is probably looking for the service's database).
Error missing_database_error(const std::string& path, const std::string& service_path);

}  // namespace hypersdk::cli
