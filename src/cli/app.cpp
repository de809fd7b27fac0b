#include "cli/app.h"

#include <filesystem>
#include <iostream>
#include <string>

#include "cli/cmd_notify.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace hypersdk::cli {

// Providers and exports (issue 11). Declared here rather than in commands.h only to spare every
// command file a rebuild on a loaded machine; they belong with the others there.
void add_provider_command(CLI::App& app, Context& ctx);  // cmd_provider.cpp
void add_backup_command(CLI::App& app, Context& ctx);    // cmd_backup.cpp
void add_restore_command(CLI::App& app, Context& ctx);   // cmd_restore.cpp

int main_entry(int argc, char** argv) {
  const std::string invoked = std::filesystem::path(argc > 0 ? argv[0] : "hypersdk").filename();
  // `hypervisord [flags]` is `hypersdk serve [flags]`.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  const bool as_daemon = invoked == "hypervisord";
  if (as_daemon) args.insert(args.begin(), "serve");

  Context ctx;
  CLI::App app{"hypersdk: VM backup and migration jobs, schedules and day-2 operations",
               as_daemon ? "hypervisord" : invoked};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "hypersdk " HYPERSDK_VERSION);
  app.add_option("--config", ctx.global.config_path, "Config file (default: discovery)");
  app.add_option("--db", ctx.global.db_path, "SQLite database path (overrides db.path)");
  app.add_option(
      "--server", ctx.global.server,
      "Use the HTTP API at this URL, e.g. http://127.0.0.1:8080 (default: the running server "
      "registered in the database, else the database itself)");
  app.add_option("--token", ctx.global.token, "API bearer token (default: $HYPERSDK_TOKEN)");
  app.add_option("--cacert", ctx.global.cacert,
                 "PEM CA bundle to verify an https:// server with (default: the system's CAs)")
      ->check(CLI::ExistingFile);
  app.add_flag("--insecure", ctx.global.insecure,
               "Do not verify an https:// server's certificate (testing only)");
  app.add_flag("--local", ctx.global.local,
               "Work on the database directly even when a server is running (break-glass)");
  app.add_flag("-v,--verbose", ctx.global.verbose,
               "Say which path a command takes: a running server or the database");

  add_serve_command(app, ctx);
  add_submit_command(app, ctx);
  add_list_command(app, ctx);
  add_query_command(app, ctx);
  add_logs_command(app, ctx);
  add_cancel_command(app, ctx);
  add_retry_command(app, ctx);
  add_dlq_command(app, ctx);
  add_workflow_command(app, ctx);
  add_provider_command(app, ctx);
  add_backup_command(app, ctx);
  add_restore_command(app, ctx);
  add_health_command(app, ctx);
  add_version_command(app, ctx);
  add_db_command(app, ctx);
  add_config_command(app, ctx);
  add_upgrade_command(app, ctx);
  add_schedule_command(app, ctx);
  add_token_command(app, ctx);
  add_audit_command(app, ctx);
  add_target_command(app, ctx);
  add_cluster_command(app, ctx);
  add_drain_command(app, ctx);
  add_notify_command(app, ctx);
  add_completion_command(app, ctx);

  try {
    std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!ctx.action) return kExitUsage;
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    std::cerr << "hypersdk: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace hypersdk::cli
