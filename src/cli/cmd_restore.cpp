// hypersdk restore --backup ID (--to PATH [--format raw|qcow2] | --vm NAME [--provider P])
// [--wait]: submits a `restore` job that rebuilds one standalone disk from the backup's chain,
// atomically at PATH, or onto the (stopped) VM's own disk. Prints the job id; with --wait
// follows it and exits 0 only when it succeeded.
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
    std::string vm;
    std::string provider;
    std::string format = "raw";
    bool wait = false;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("restore", "Restore a backup (its whole chain) into a disk file");
  cmd->add_option("--backup", f->backup, "Backup id (backup list)")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* to = cmd->add_option("--to", f->to, "Absolute path of the disk file to write");
  auto* vm = cmd->add_option("--vm", f->vm, "Restore onto this VM's disk (the VM must be stopped)");
  to->excludes(vm);
  cmd->add_option("--provider", f->provider, "The VM's provider (default: the backup's)")
      ->needs(vm);
  cmd->add_option("--format", f->format, "raw (default) or qcow2 (with --to)")->needs(to);
  cmd->add_flag("--wait", f->wait, "Follow the job until it ends");
  cmd->add_flag("--json", f->json_out, "Print the job as JSON");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      if (f->to.empty() == f->vm.empty())
        return ctx.fail(
            invalid_error("restore: give --to PATH (a new disk file) or --vm NAME "
                          "(onto the VM's disk)"));
      json payload{{"backup_id", f->backup}};
      if (!f->to.empty()) {
        payload["to"] = f->to;
        payload["format"] = f->format;
      } else {
        payload["vm"] = f->vm;
        if (!f->provider.empty()) payload["provider"] = f->provider;
      }
      const json request{{"type", "restore"}, {"payload", payload}};
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
        std::cout << id << " restored backup " << f->backup << " "
                  << (f->to.empty() ? "onto VM " + f->vm : "to " + f->to) << "\n";
      else
        std::cerr << "hypersdk: " << id << " " << (*done).value("status", "") << ": "
                  << ((*done).contains("error") ? (*done)["error"].value("message", "") : "")
                  << "\n";
      return (*done)["status"] == "succeeded" ? kExitOk : kExitFailure;
    };
  });
}

}  // namespace hypersdk::cli
