// hypersdk backup list [--vm NAME] | show --id ID: the backup records (issue 11). With
// --server through the API, else from the database (read-only; serve may be running).
// Backups are taken by `backup` jobs: `submit --file` or a schedule with --type full|incremental.
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "store/backup_store.h"
#include "wire/provider_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

Result<json> list_backups(Context& ctx, const std::string& vm) {
  if (!ctx.global.server.empty())
    return ApiClient(ctx.global.server, ctx.token()).get("/api/v1/backups?vm=" + vm);
  auto db = ctx.store_backend();
  if (!db) return db.error();
  store::BackupStore& backups = *(*db)->backups;
  auto found = backups.list(vm, 10000);
  if (!found) return found.error();
  json out = json::array();
  for (const auto& b : *found) out.push_back(wire::backup_to_json(b));
  return json{{"backups", out}};
}

Result<json> show_backup(Context& ctx, std::int64_t id) {
  if (!ctx.global.server.empty())
    return ApiClient(ctx.global.server, ctx.token()).get("/api/v1/backups/" + std::to_string(id));
  auto db = ctx.store_backend();
  if (!db) return db.error();
  store::BackupStore& backups = *(*db)->backups;
  auto b = backups.get(id);
  if (!b) return b.error();
  json out = wire::backup_to_json(*b);
  if (auto chain = backups.chain(id)) {
    out["chain"] = json::array();
    for (const auto& c : *chain) out["chain"].push_back(c.id);
  }
  return out;
}

std::string text(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump();
}

}  // namespace

void add_backup_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("backup", "Backup records: list, show");
  cmd->require_subcommand(1);
  auto vm = std::make_shared<std::string>();
  auto json_out = std::make_shared<bool>(false);
  auto* list = cmd->add_subcommand("list", "Backups, newest first");
  list->add_option("--vm", *vm, "Only this VM's backups");
  list->add_flag("--json", *json_out, "Print JSON");
  list->callback([&ctx, vm, json_out] {
    ctx.action = [&ctx, vm, json_out]() -> int {
      auto r = list_backups(ctx, *vm);
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, (*r)["backups"]);
        return kExitOk;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& b : (*r)["backups"])
        rows.push_back({text(b["id"]), text(b["vm"]), text(b["type"]), text(b["chain_id"]),
                        text(b["parent_id"]), text(b["size_bytes"]), short_time(b["created_at"]),
                        b["verified_at"].is_string() ? short_time(b["verified_at"]) : "-"});
      print_table(std::cout,
                  {"ID", "VM", "TYPE", "CHAIN", "PARENT", "SIZE_BYTES", "CREATED", "VERIFIED"},
                  rows);
      return kExitOk;
    };
  });
  auto id = std::make_shared<std::int64_t>(0);
  auto* show = cmd->add_subcommand("show", "One backup with its chain");
  show->add_option("--id", *id, "Backup id")->required()->check(CLI::PositiveNumber);
  show->add_flag("--json", *json_out, "Print JSON");
  show->callback([&ctx, id, json_out] {
    ctx.action = [&ctx, id, json_out]() -> int {
      auto r = show_backup(ctx, *id);
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, *r);
        return kExitOk;
      }
      for (const auto& [k, v] : r->items())
        std::cout << k << ":" << std::string(std::max<std::size_t>(1, 14 - k.size()), ' ')
                  << text(v) << "\n";
      return kExitOk;
    };
  });
}

}  // namespace hypersdk::cli
