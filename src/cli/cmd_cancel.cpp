// hypersdk cancel --id=ID: cancel a pending job now, or ask a running one to stop.
#include "cli/commands.h"
#include "cli/job_action.h"

namespace hypersdk::cli {

void add_cancel_command(CLI::App& app, Context& ctx) {
  add_job_action_command(
      app, ctx, "cancel", "Cancel a job",
      [](Backend& b, const std::string& id) { return b.cancel(id); },
      [](const std::string& id, const nlohmann::json& job) {
        if (job["status"] == "running")
          return id + ": cancellation requested; the worker stops it shortly";
        return id + ": " + job["status"].get<std::string>();
      });
}

}  // namespace hypersdk::cli
