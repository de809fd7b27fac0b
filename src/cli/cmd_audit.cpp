// hypersdk audit list [--since T] [--actor NAME] [--action NAME] [--limit N] [--json]: the audit
// trail, newest first: who did what to which object, when, through which face (api, cli,
// serve) and in which API request.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {
namespace {

std::string text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

}  // namespace

void add_audit_command(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "The audit trail of operator actions");
  audit->require_subcommand(1);
  auto f = std::make_shared<AuditFilter>();
  auto json_out = std::make_shared<bool>(false);
  auto* list = audit->add_subcommand("list", "Who did what, when (newest first)");
  list->add_option("--since", f->since, "Only entries at or after this time (RFC 3339 or ms)");
  list->add_option("--actor", f->actor, "Only this actor (a token name, or '$USER (uid N)')");
  list->add_option("--action", f->action, "Only this action, e.g. jobs.cancel");
  list->add_option("--limit", f->limit, "At most this many (default 100)")
      ->check(CLI::Range(1, 10000));
  list->add_flag("--json", *json_out, "Print JSON");
  list->callback([&ctx, f, json_out] {
    ctx.action = [&ctx, f, json_out]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->audit_query(*f);
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, (*r)["entries"]);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : (*r)["entries"])
        rows.push_back({short_time(a["at"]), text(a["actor"]), text(a["action"]),
                        text(a["subject"]), text(a["source"]), text(a["request_id"])});
      print_table(std::cout, {"AT", "ACTOR", "ACTION", "SUBJECT", "SOURCE", "REQUEST"}, rows);
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
