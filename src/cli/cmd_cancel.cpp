// hypersdk cancel --id=ID: cancel a pending job now, or ask a running one to stop.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {

void add_cancel_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("cancel", "Cancel a job");
  cmd->add_option("--id", f->id, "Job id, e.g. j-42")->required();
  cmd->add_flag("--json", f->json_out, "Print the job as JSON");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto job = (*backend)->cancel(f->id);
      if (!job) return ctx.fail(job.error());
      if (f->json_out) {
        print_json(std::cout, *job);
      } else if ((*job)["status"] == "running") {
        std::cout << f->id << ": cancellation requested; the worker stops it shortly\n";
      } else {
        std::cout << f->id << ": " << (*job)["status"].get<std::string>() << "\n";
      }
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
