// hypersdk config validate | show: check a config like `nginx -t`; print effective values.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "engine/schedule_calendars.h"
#include "ops/notify_config.h"

namespace hypersdk::cli {

void add_config_command(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json_out = false;
    bool show_secrets = false;
  };
  auto f = std::make_shared<Flags>();
  auto* config = app.add_subcommand("config", "Configuration: validate, show");
  config->require_subcommand(1);

  auto* validate = config->add_subcommand("validate", "Check the config; exit 0 when valid");
  validate->callback([&ctx] {
    ctx.action = [&ctx]() -> int {
      auto cfg = ctx.config();
      if (!cfg) return ctx.fail(cfg.error());
      // Everything serve reads at start is read here too (like nginx -t): the holiday
      // calendars' files are parsed, not just named.
      if (auto calendars = engine::load_holiday_calendars(**cfg); !calendars)
        return ctx.fail(calendars.error());
      // Routes naming receivers that do not exist are caught here, not only at serve start.
      if (auto n = ops::notify_config(**cfg); !n) return ctx.fail(n.error());
      const auto& file = (*cfg)->file();
      std::cout << "configuration " << (file ? file->string() : std::string("(defaults, no file)"))
                << " is valid\n";
      return 0;
    };
  });

  auto* show =
      config->add_subcommand("show", "Effective configuration with the source of each value");
  show->add_flag("--json", f->json_out, "Print JSON");
  show->add_flag("--show-secrets", f->show_secrets, "Do not redact secrets");
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto cfg = ctx.config();
      if (!cfg) return ctx.fail(cfg.error());
      // db.path empty means "the default location for this user": show the file it resolves
      // to, which is what an operator needs to know (and what every command opens).
      auto db_path = ctx.db_path();
      if (!db_path) return ctx.fail(db_path.error());
      if (f->json_out) {
        auto j = (*cfg)->to_json(!f->show_secrets);
        j["db"]["path"] = *db_path;
        print_json(std::cout, j);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& e : (*cfg)->entries(!f->show_secrets))
        rows.push_back({e.key, e.key == "db.path" ? *db_path : e.value, e.source.to_string()});
      print_table(std::cout, {"KEY", "VALUE", "SOURCE"}, rows);
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
