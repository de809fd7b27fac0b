// hypersdk query --id=ID: one job in detail, with its error history.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {

void add_query_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("query", "Show one job");
  cmd->add_option("--id", f->id, "Job id, e.g. j-42")->required();
  cmd->add_flag("--json", f->json_out, "Print the job as a JSON object");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto job = (*backend)->get(f->id);
      if (!job) return ctx.fail(job.error());
      f->json_out ? print_json(std::cout, *job) : print_job(std::cout, *job);
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
