// One function per subcommand: each adds its CLI11 subcommand to the app and, when chosen,
// sets ctx.action to the code that runs it. Defined in cmd_<name>.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace hypersdk::cli {

void add_serve_command(CLI::App& app, Context& ctx);
void add_submit_command(CLI::App& app, Context& ctx);
void add_list_command(CLI::App& app, Context& ctx);
void add_query_command(CLI::App& app, Context& ctx);
void add_logs_command(CLI::App& app, Context& ctx);
void add_cancel_command(CLI::App& app, Context& ctx);
void add_retry_command(CLI::App& app, Context& ctx);
void add_dlq_command(CLI::App& app, Context& ctx);
void add_health_command(CLI::App& app, Context& ctx);
void add_version_command(CLI::App& app, Context& ctx);
void add_db_command(CLI::App& app, Context& ctx);
void add_config_command(CLI::App& app, Context& ctx);
void add_upgrade_command(CLI::App& app, Context& ctx);
void add_schedule_command(CLI::App& app, Context& ctx);
void add_workflow_command(CLI::App& app, Context& ctx);  // cmd_workflow.cpp
void add_token_command(CLI::App& app, Context& ctx);     // cmd_token.cpp
void add_audit_command(CLI::App& app, Context& ctx);     // cmd_audit.cpp
void add_target_command(CLI::App& app, Context& ctx);    // cmd_target.cpp
void add_cluster_command(CLI::App& app, Context& ctx);   // cmd_cluster.cpp
void add_drain_command(CLI::App& app, Context& ctx);     // cmd_drain.cpp
// completion, man and the hidden __complete helper; added last (reads the whole app).
void add_completion_command(CLI::App& app, Context& ctx);  // cmd_completion.cpp

}  // namespace hypersdk::cli
