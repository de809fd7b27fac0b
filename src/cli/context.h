// Shared state of one CLI invocation: global flags, the configuration (loaded once, on
// demand), the database and the backend a command talks to, and error reporting.
// Thread safety: used by the main thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/backend.h"
#include "core/error.h"
#include "ops/config.h"
#include "store/database.h"

namespace hypersdk::cli {

struct GlobalOptions {
  std::string config_path;  // --config
  std::string db_path;      // --db
  std::string server;       // --server URL: use the HTTP API instead of the database
  std::string token;        // --token (else $HYPERSDK_TOKEN)
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
  Result<std::shared_ptr<store::Database>> database(bool migrate = true);
  Result<std::unique_ptr<Backend>> backend();

  // Prints "hypersdk: error: ..." to stderr and returns the exit code for its class.
  int fail(const Error& e) const;

 private:
  std::shared_ptr<const ops::Config> config_;
  std::shared_ptr<store::Database> db_;
};

}  // namespace hypersdk::cli
