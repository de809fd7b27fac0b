// hypersdk health: asks the running server for liveness and readiness. Exit 0 when ready,
// 8 when it answers but is not ready, 5 when it cannot be reached.
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

void add_health_command(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("health", "Check the running server: liveness and readiness");
  cmd->add_flag("--json", f->json_out, "Print JSON");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      std::string url = ctx.global.server;
      if (url.empty()) {
        // No --server: the server this config would run.
        auto cfg = ctx.config();
        if (!cfg) return ctx.fail(cfg.error());
        url = "http://" + (*cfg)->get_string("api.listen");
      }
      std::string token = ctx.global.token;
      if (token.empty())
        if (const char* t = std::getenv("HYPERSDK_TOKEN")) token = t;
      ApiClient client(url, token);
      client.set_timeouts(std::chrono::seconds(3), std::chrono::seconds(5));
      auto live = client.get("/api/v1/health");
      if (!live) return ctx.fail(live.error());
      auto ready = client.get("/api/v1/ready");
      if (f->json_out) {
        print_json(
            std::cout,
            {{"health", *live},
             {"ready",
              ready ? *ready : json{{"status", "fail"}, {"output", ready.error().message}}}});
      } else {
        std::cout << "liveness:  " << live->value("status", "?") << " (" << url << ", version "
                  << live->value("version", "?") << ")\n";
        if (ready) {
          std::cout << "readiness: " << ready->value("status", "?") << "\n";
          if (ready->contains("checks"))
            for (const auto& [name, results] : (*ready)["checks"].items())
              for (const auto& r : results)
                std::cout << "  " << name << ": " << r.value("status", "?")
                          << (r.value("output", "").empty() ? "" : " - " + r.value("output", ""))
                          << "\n";
        } else {
          std::cout << "readiness: fail - " << ready.error().message << "\n";
        }
      }
      return ready ? kExitOk : kExitUnhealthy;
    };
  });
}

}  // namespace hypersdk::cli
