// hypersdk target list | test NAME | verify NAME KEY --file PATH: the upload targets of the
// config. Through the API with --server (the server's config and secrets), else from this
// config directly (no database needed). `test` writes a probe object and removes it again;
// it and `verify` exit with the code of the failure's class (auth 6, network 5, ...).
#include <filesystem>
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "ops/paths.h"
#include "targets/file_digest.h"
#include "targets/target.h"

namespace hypersdk::cli {
using nlohmann::json;
namespace {

Result<targets::TargetSet> local_targets(Context& ctx) {
  auto cfg = ctx.config();
  if (!cfg) return cfg.error();
  return targets::parse_targets((*cfg)->get_node("targets"), ops::environ_map());
}

void print_report(const json& r) {
  std::cout << "target " << r.value("target", "?") << ": "
            << (r.value("ok", false) ? "ok" : "FAILED") << "\n";
  for (const auto& s : r.value("steps", json::array()))
    std::cout << "  " << (s.value("ok", false) ? "ok    " : "FAILED") << " " << s.value("step", "")
              << ": " << s.value("detail", "") << "\n";
}

int report_exit(const Context& ctx, const json& r) {
  if (r.value("ok", false)) return kExitOk;
  const json e = r.value("error", json::object());
  auto cls = parse_error_class(e.value("class", "internal"));
  return ctx.fail(make_error(cls.value_or(ErrorClass::internal), e.value("message", "failed")));
}

}  // namespace

void add_target_command(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json_out = false;
    std::string name, key, file;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("target", "Upload targets: list, test, verify an upload");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "The configured targets (no secrets)");
  list->add_flag("--json", f->json_out, "Print JSON");
  list->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      json items = json::array();
      if (!ctx.global.server.empty()) {
        auto r = ApiClient(ctx.global.server, ctx.token()).get("/api/v1/targets");
        if (!r) return ctx.fail(r.error());
        items = r->value("targets", json::array());
      } else {
        auto set = local_targets(ctx);
        if (!set) return ctx.fail(set.error());
        for (const auto& [name, t] : *set) items.push_back(t.describe());
      }
      if (f->json_out) {
        print_json(std::cout, {{"targets", items}});
        return kExitOk;
      }
      if (items.empty()) std::cout << "no targets configured (config key 'targets')\n";
      for (const auto& t : items) {
        std::string where = t.value("path", "");
        if (t.contains("bucket"))
          where = t.value("endpoint", "") + " bucket " + t.value("bucket", "") +
                  (t.value("prefix", "").empty() ? "" : " prefix " + t.value("prefix", ""));
        if (t.contains("url")) where = t.value("url", "");
        std::cout << t.value("name", "?") << "\t" << t.value("kind", "?") << "\t" << where << "\n";
      }
      return kExitOk;
    };
  });

  auto* test = cmd->add_subcommand(
      "test", "Reach the target, authenticate, write a probe object, read it back, remove it");
  test->add_option("name", f->name, "Target name")->required();
  test->add_flag("--json", f->json_out, "Print JSON");
  test->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      json report;
      if (!ctx.global.server.empty()) {
        ApiClient client(ctx.global.server, ctx.token());
        auto r = client.post("/api/v1/targets/" + f->name + "/test");
        if (!r) return ctx.fail(r.error());
        report = *r;
      } else {
        auto set = local_targets(ctx);
        if (!set) return ctx.fail(set.error());
        auto it = set->find(f->name);
        if (it == set->end())
          return ctx.fail(make_error(ErrorClass::not_found, "no target named '" + f->name + "'"));
        report = targets::test_target(it->second).to_json();
      }
      if (f->json_out)
        print_json(std::cout, report);
      else
        print_report(report);
      return report_exit(ctx, report);
    };
  });

  auto* verify = cmd->add_subcommand(
      "verify",
      "Check an uploaded object against a local file: size, then the server's SHA-256, else a "
      "download hashed here");
  verify->add_option("name", f->name, "Target name")->required();
  verify->add_option("key", f->key, "Object key")->required();
  verify->add_option("--file", f->file, "The local file it was uploaded from")->required();
  verify->add_flag("--json", f->json_out, "Print JSON");
  verify->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto set = local_targets(ctx);
      if (!set) return ctx.fail(set.error());
      auto it = set->find(f->name);
      if (it == set->end())
        return ctx.fail(make_error(ErrorClass::not_found, "no target named '" + f->name + "'"));
      auto local = targets::file_digest(f->file);
      if (!local) return ctx.fail(local.error());
      auto target = targets::make_target(it->second);
      if (!target) return ctx.fail(target.error());
      auto check = targets::verify_remote(**target, f->key, local->sha256, local->size);
      if (!check) return ctx.fail(check.error());
      const json out = {{"target", f->name},
                        {"key", f->key},
                        {"url", (*target)->url_of(f->key)},
                        {"size_bytes", check->size_bytes},
                        {"sha256", check->sha256},
                        {"checked_by", check->checked_by}};
      if (f->json_out)
        print_json(std::cout, out);
      else
        std::cout << "ok: " << out["url"].get<std::string>() << " matches " << f->file << " ("
                  << check->size_bytes << " bytes, SHA-256 " << check->sha256 << ", by "
                  << check->checked_by << ")\n";
      return kExitOk;
    };
  });
}

}  // namespace hypersdk::cli
