// hypersdk logs --id=ID [--follow]: a job's output; --follow streams until the job ends.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {
void print_line(const json& l, bool json_out) {
  if (json_out) {
    std::cout << l.dump() << "\n";
  } else {
    const std::string stream = l.value("stream", "");
    std::cout << short_time(l["ts"]) << " " << (stream == "stdout" ? "" : "[" + stream + "] ")
              << l.value("line", "") << "\n";
  }
  std::cout.flush();
}
}  // namespace

void add_logs_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id;
    bool follow = false;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("logs", "Show a job's log");
  cmd->add_option("--id", f->id, "Job id, e.g. j-42")->required();
  cmd->add_flag("--follow,-f", f->follow, "Stream new lines until the job finishes");
  cmd->add_flag("--json", f->json_out, "One JSON object per line");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      if (f->follow) {
        auto job = (*backend)->follow(f->id, [&](const json& l) { print_line(l, f->json_out); });
        if (!job) return ctx.fail(job.error());
        // Like `tail --pid`, but the exit code says how the job ended.
        return (*job)["status"] == "succeeded" ? kExitOk : kExitFailure;
      }
      std::int64_t after = 0;
      for (;;) {
        auto page = (*backend)->logs(f->id, after, 1000);
        if (!page) return ctx.fail(page.error());
        for (const auto& l : (*page)["lines"]) {
          print_line(l, f->json_out);
          after = l["seq"].get<std::int64_t>();
        }
        if ((*page)["lines"].size() < 1000) return kExitOk;
      }
    };
  });
}

}  // namespace hypersdk::cli
