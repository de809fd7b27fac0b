// hypersdk provider list | test NAME | vms NAME [--glob G]: the configured VM providers.
// With --server the server's providers are asked through the API; otherwise they are built
// from this command's config (the same file serve reads on this host).
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "ops/paths.h"
#include "providers/registry.h"
#include "wire/provider_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

Result<providers::ProviderMap> local_providers(Context& ctx) {
  auto cfg = ctx.config();
  if (!cfg) return cfg.error();
  return providers::build_providers((*cfg)->get_node("providers"), ops::environ_map());
}

Result<json> reports(Context& ctx) {
  if (!ctx.global.server.empty())
    return ApiClient(ctx.global.server, ctx.token()).get("/api/v1/providers");
  auto map = local_providers(ctx);
  if (!map) return map.error();
  json out = json::array();
  for (const auto& [name, p] : *map) out.push_back(wire::provider_report_to_json(*p, p->test()));
  return json{{"providers", out}};
}

Result<json> one_report(Context& ctx, const std::string& name) {
  if (!ctx.global.server.empty())
    return ApiClient(ctx.global.server, ctx.token())
        .post("/api/v1/providers/" + name + "/test", json::object());
  auto map = local_providers(ctx);
  if (!map) return map.error();
  providers::ProviderRegistry reg(std::move(*map));
  auto p = reg.find(name);
  if (!p) return p.error();
  return wire::provider_report_to_json(**p, (*p)->test());
}

Result<json> vms(Context& ctx, const std::string& name, const std::string& glob) {
  if (!ctx.global.server.empty())
    return ApiClient(ctx.global.server, ctx.token())
        .get("/api/v1/providers/" + name + "/vms?glob=" + glob);
  auto map = local_providers(ctx);
  if (!map) return map.error();
  providers::ProviderRegistry reg(std::move(*map));
  auto p = reg.find(name);
  if (!p) return p.error();
  auto list = (*p)->list(glob);
  if (!list) return list.error();
  json out = json::array();
  for (const auto& vm : *list) out.push_back(wire::vm_to_json(vm));
  return json{{"vms", out}};
}

std::string health_text(const json& r) {
  return r.value("healthy", false) ? "ok" : "FAILED";
}

}  // namespace

void add_provider_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("provider", "VM providers: list, test, vms");
  cmd->require_subcommand(1);
  auto json_out = std::make_shared<bool>(false);

  auto* list = cmd->add_subcommand("list", "Each configured provider: kind, health, VM count");
  list->add_flag("--json", *json_out, "Print JSON");
  list->callback([&ctx, json_out] {
    ctx.action = [&ctx, json_out]() -> int {
      auto r = reports(ctx);
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, (*r)["providers"]);
        return kExitOk;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& p : (*r)["providers"])
        rows.push_back({p.value("name", ""), p.value("kind", ""), health_text(p),
                        p["vm_count"].is_number() ? std::to_string(p["vm_count"].get<int>()) : "-",
                        p.value("diagnosis", "")});
      print_table(std::cout, {"NAME", "KIND", "HEALTH", "VMS", "DIAGNOSIS"}, rows);
      return kExitOk;
    };
  });

  auto name = std::make_shared<std::string>();
  auto* test = cmd->add_subcommand("test", "Check reachability, credentials and permissions");
  test->add_option("name", *name, "Provider name")->required();
  test->add_flag("--json", *json_out, "Print JSON");
  test->callback([&ctx, name, json_out] {
    ctx.action = [&ctx, name, json_out]() -> int {
      auto r = one_report(ctx, *name);
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, *r);
      } else if (r->value("healthy", false)) {
        std::cout << "provider " << *name << " (" << r->value("kind", "") << "): ok, "
                  << r->value("diagnosis", "") << "\n";
      } else {
        std::cerr << "hypersdk: provider " << *name << " (" << r->value("kind", "")
                  << ") failed its test: " << r->value("diagnosis", "") << "\n";
      }
      return r->value("healthy", false) ? kExitOk : kExitFailure;
    };
  });

  auto glob = std::make_shared<std::string>();
  auto* vm = cmd->add_subcommand("vms", "The provider's VMs (optionally matching --glob)");
  vm->add_option("name", *name, "Provider name")->required();
  vm->add_option("--glob", *glob, "Shell-style name pattern, e.g. 'prod-web-*'");
  vm->add_flag("--json", *json_out, "Print JSON");
  vm->callback([&ctx, name, glob, json_out] {
    ctx.action = [&ctx, name, glob, json_out]() -> int {
      auto r = vms(ctx, *name, *glob);
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, (*r)["vms"]);
        return kExitOk;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : (*r)["vms"]) {
        std::uint64_t cap = 0;
        for (const auto& d : v["disks"]) cap += d.value("capacity_bytes", std::uint64_t{0});
        rows.push_back({v.value("name", ""), v.value("state", ""),
                        std::to_string(v["disks"].size()), std::to_string(cap)});
      }
      print_table(std::cout, {"NAME", "STATE", "DISKS", "CAPACITY_BYTES"}, rows);
      return kExitOk;
    };
  });
}

}  // namespace hypersdk::cli
