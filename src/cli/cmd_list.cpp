// hypersdk list: jobs, newest first, optionally by status and type.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {

void add_list_command(CLI::App& app, Context& ctx) {
  struct Flags {
    ListQuery q;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("list", "List jobs, newest first");
  cmd->add_option("--status", f->q.status, "queued, running, failed, succeeded, ...");
  cmd->add_option("--type", f->q.type, "Only jobs of this type");
  cmd->add_option("--limit", f->q.limit, "At most this many (1-1000)")->check(CLI::Range(1, 1000));
  cmd->add_option("--cursor", f->q.cursor, "Continue after this job id (from a previous page)");
  cmd->add_flag("--json", f->json_out, "Print a JSON array of jobs");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto page = (*backend)->list(f->q);
      if (!page) return ctx.fail(page.error());
      if (f->json_out) {
        print_json(std::cout, (*page)["jobs"]);
        return 0;
      }
      print_jobs(std::cout, (*page)["jobs"]);
      if ((*page)["next_cursor"].is_string())
        std::cout << "(more: --cursor " << (*page)["next_cursor"].get<std::string>() << ")\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
