// hypersdk retry --id=ID: queue a failed or cancelled job again with a fresh retry budget.
#include "cli/commands.h"
#include "cli/job_action.h"

namespace hypersdk::cli {

void add_retry_command(CLI::App& app, Context& ctx) {
  add_job_action_command(
      app, ctx, "retry", "Run a failed or cancelled job again",
      [](Backend& b, const std::string& id) { return b.retry(id); },
      [](const std::string& id, const nlohmann::json& job) {
        return id + ": " + job["status"].get<std::string>();
      });
}

}  // namespace hypersdk::cli
