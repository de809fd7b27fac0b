#include "cli/job_action.h"

#include <iostream>

#include "cli/output.h"

namespace hypersdk::cli {

void add_job_action_command(CLI::App& app, Context& ctx, const std::string& name,
                            const std::string& description, JobAction action, JobSummary summary) {
  struct Flags {
    std::string id;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(name, description);
  cmd->add_option("--id", f->id, "Job id, e.g. j-42")->required();
  cmd->add_flag("--json", f->json_out, "Print the job as JSON");
  cmd->callback([&ctx, f, action, summary] {
    ctx.action = [&ctx, f, action, summary]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto job = action(**backend, f->id);
      if (!job) return ctx.fail(job.error());
      if (f->json_out)
        print_json(std::cout, *job);
      else
        std::cout << summary(f->id, *job) << "\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
