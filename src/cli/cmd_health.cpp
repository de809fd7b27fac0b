// hypersdk health: asks the running server for liveness and readiness, and prints each check
// (the failing ones with their reason). Exit 0 when ready, 8 when it answers but is not
// ready, 5 when it cannot be reached.
#include <filesystem>
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/live_server.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;
namespace {

// --server; else the running server registered in the database; else the address this
// config's serve would listen on.
Result<std::string> health_url(Context& ctx) {
  if (!ctx.global.server.empty()) return ctx.global.server;
  auto cfg = ctx.config();
  if (!cfg) return cfg.error();
  // Only a database that exists already, opened without migrating it (database() opens the
  // SQLite file store_backend() then uses): health changes nothing.
  const bool postgres = !(*cfg)->get_string("db.url").empty();
  if (auto path = ctx.db_path(); postgres || (path && std::filesystem::exists(*path)))
    if (postgres || ctx.database(/*migrate=*/false))
      if (auto backend = ctx.store_backend())
        if (auto live =
                find_live_server(*(*backend)->servers, ctx.token(), nullptr, ctx.client_tls()))
          return live->address;
  return "http://" + (*cfg)->get_string("api.listen");
}

// "  database:reachable: fail - <why>"; a check's fields are strings by the health+json draft.
void print_check(const std::string& name, const json& r) {
  if (!r.is_object()) return;
  const json status = r.value("status", json("?"));
  const json output = r.value("output", json(""));
  std::cout << "  " << name << ": "
            << (status.is_string() ? status.get<std::string>() : status.dump());
  const std::string out = output.is_string() ? output.get<std::string>() : output.dump();
  if (!out.empty()) std::cout << " - " << out;
  std::cout << "\n";
}

}  // namespace

void add_health_command(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("health", "Check the running server: liveness and readiness");
  cmd->add_flag("--json", f->json_out, "Print JSON");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto url = health_url(ctx);
      if (!url) return ctx.fail(url.error());
      ApiClient client(*url, ctx.token(), ctx.client_tls());
      client.set_timeouts(std::chrono::seconds(3), std::chrono::seconds(5));
      client.set_rate_limit_budget(std::chrono::seconds(0));
      auto live = client.get("/api/v1/health");
      if (!live) return ctx.fail(live.error());
      // /ready answers 503 with the same body shape, naming each failing check.
      auto ready = client.get_answer("/api/v1/ready");
      const bool is_ready = ready && ready->status == 200;
      json ready_json;
      if (!ready)
        ready_json = {{"status", "fail"}, {"output", ready.error().message}};
      else if (ready->body.is_object())
        ready_json = ready->body;
      else
        ready_json = {{"status", "fail"},
                      {"output", "HTTP " + std::to_string(ready->status) + " without a JSON body"}};
      if (f->json_out) {
        print_json(std::cout, {{"health", *live}, {"ready", ready_json}});
      } else {
        std::cout << "liveness:  " << live->value("status", "?") << " (" << *url << ", version "
                  << live->value("version", "?") << ")\n";
        std::cout << "readiness: " << ready_json.value("status", "?");
        if (ready && ready->status != 200) std::cout << " (HTTP " << ready->status << ")";
        if (ready_json.contains("output") && ready_json["output"].is_string())
          std::cout << " - " << ready_json["output"].get<std::string>();
        std::cout << "\n";
        if (ready_json.contains("checks") && ready_json["checks"].is_object())
          for (const auto& [name, results] : ready_json["checks"].items())
            for (const auto& r : results) print_check(name, r);
      }
      return is_ready ? kExitOk : kExitUnhealthy;
    };
  });
}

}  // namespace hypersdk::cli
