// hypersdk retry --id=ID: queue a failed or cancelled job again with a fresh retry budget.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {

void add_retry_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("retry", "Run a failed or cancelled job again");
  cmd->add_option("--id", f->id, "Job id, e.g. j-42")->required();
  cmd->add_flag("--json", f->json_out, "Print the job as JSON");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto job = (*backend)->retry(f->id);
      if (!job) return ctx.fail(job.error());
      if (f->json_out)
        print_json(std::cout, *job);
      else
        std::cout << f->id << ": " << (*job)["status"].get<std::string>() << "\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
