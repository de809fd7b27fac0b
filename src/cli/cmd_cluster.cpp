// hypersdk cluster status: the nodes sharing this database (address, version, heartbeat age,
// draining, leader, running jobs), through a live server's GET /api/v1/cluster or straight
// from the database when none runs (engine/cluster_status.h builds both answers).
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/server_registration.h"
#include "engine/clock.h"
#include "engine/cluster_status.h"

namespace hypersdk::cli {
using nlohmann::json;
namespace {

Result<json> read_status(Context& ctx) {
  auto address = ctx.server_address();
  if (!address) return address.error();
  if (*address) {
    ApiClient api(**address, ctx.token(), ctx.client_tls());
    return api.get("/api/v1/cluster");
  }
  // server_address() opened the database already (it reads the server registry there).
  auto backend = ctx.store_backend();
  if (!backend) return backend.error();
  auto status =
      engine::read_cluster_status(*(*backend)->servers, *(*backend)->leader_lease,
                                  *(*backend)->store, engine::SystemClock().now_ms(), kServerFresh);
  if (!status) return status.error();
  return engine::cluster_status_json(*status);
}

std::string age(const json& ms) {
  if (!ms.is_number_integer()) return "-";
  const auto v = ms.get<std::int64_t>();
  return v < 10'000 ? std::to_string(v) + "ms" : std::to_string(v / 1000) + "s";
}

void print_status(const json& s) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : s.value("nodes", json::array()))
    rows.push_back({n.value("address", ""), n.value("version", ""),
                    n.value("host", "") + ":" + std::to_string(n.value("pid", 0)),
                    age(n.value("heartbeat_age_ms", json())),
                    n.value("leader", false) ? "yes" : "no", n.value("state", ""),
                    std::to_string(n.value("running_jobs", 0))});
  print_table(std::cout,
              {"ADDRESS", "VERSION", "HOST:PID", "HEARTBEAT", "LEADER", "STATE", "RUNNING"}, rows);
  const json leader = s.value("leader", json());
  if (leader.is_object())
    std::cout << "leader: "
              << (leader["address"].is_string() ? leader["address"].get<std::string>()
                                                : leader.value("owner", "?"))
              << " (token " << leader.value("token", 0) << ", lease expires in "
              << age(leader.value("expires_in_ms", json())) << ")\n";
  else
    std::cout << "leader: none (no node holds the leader lease)\n";
  if (const int orphans = s.value("orphaned_running_jobs", 0); orphans > 0)
    std::cout << orphans
              << " running job(s) belong to no live node; they are requeued when their leases "
                 "expire\n";
}

}  // namespace

void add_cluster_command(CLI::App& app, Context& ctx) {
  auto* cluster = app.add_subcommand("cluster", "Several serve nodes on one database");
  cluster->require_subcommand(1);
  auto json_out = std::make_shared<bool>(false);
  auto* status = cluster->add_subcommand(
      "status", "List the nodes: address, version, heartbeat, leader, draining, running jobs");
  status->add_flag("--json", *json_out, "Print JSON");
  status->callback([&ctx, json_out] {
    ctx.action = [&ctx, json_out]() -> int {
      auto s = read_status(ctx);
      if (!s) return ctx.fail(s.error());
      if (*json_out)
        print_json(std::cout, *s);
      else
        print_status(*s);
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
