// hypersdk version: the binary's version and the schema version it supports.
#include <iostream>

#include "cli/commands.h"
#include "store/migrations.h"

namespace hypersdk::cli {

void add_version_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "Print the version");
  cmd->callback([&ctx] {
    ctx.action = [] {
      std::cout << "hypersdk " HYPERSDK_VERSION " (schema " << store::latest_schema_version()
                << ")\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
