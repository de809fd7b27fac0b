// hypersdk restore --backup ID --to PATH [--format raw|qcow2] [--wait]: submits a `restore`
// job that rebuilds one standalone disk from the backup's chain, atomically at PATH. Prints
// the job id; with --wait follows it and exits 0 only when it succeeded.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

void add_restore_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::int64_t backup = 0;
    std::string to;
    std::string format = "raw";
    bool wait = false;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("restore", "Restore a backup (its whole chain) into a disk file");
  cmd->add_option("--backup", f->backup, "Backup id (backup list)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--to", f->to, "Absolute path of the disk file to write")->required();
  cmd->add_option("--format", f->format, "raw (default) or qcow2");
  cmd->add_flag("--wait", f->wait, "Follow the job until it ends");
  cmd->add_flag("--json", f->json_out, "Print the job as JSON");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      const json request{
          {"type", "restore"},
          {"payload", {{"backup_id", f->backup}, {"to", f->to}, {"format", f->format}}}};
      auto job = (*backend)->submit(request);
      if (!job) return ctx.fail(job.error());
      const std::string id = (*job)["id"];
      if (!f->wait) {
        f->json_out ? print_json(std::cout, *job) : void(std::cout << id << "\n");
        return kExitOk;
      }
      auto done = (*backend)->follow(id, [](const json&) {});
      if (!done) return ctx.fail(done.error());
      if (f->json_out)
        print_json(std::cout, *done);
      else if ((*done)["status"] == "succeeded")
        std::cout << id << " restored backup " << f->backup << " to " << f->to << "\n";
      else
        std::cerr << "hypersdk: " << id << " " << (*done).value("status", "") << ": "
                  << ((*done).contains("error") ? (*done)["error"].value("message", "") : "")
                  << "\n";
      return (*done)["status"] == "succeeded" ? kExitOk : kExitFailure;
    };
  });
}

}  // namespace hypersdk::cli
