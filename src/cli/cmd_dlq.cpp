// hypersdk dlq list | show | replay | purge: the dead-letter queue. `purge --all` asks
// first when stdin is a terminal (--yes skips the question; scripts are not asked).
#include <unistd.h>

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

void add_dlq_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id;
    int limit = 100;
    bool all = false;
    bool yes = false;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* dlq = app.add_subcommand("dlq", "Dead-letter queue: jobs that failed for good");
  dlq->require_subcommand(1);

  auto* list = dlq->add_subcommand("list", "List dead letters, newest first");
  list->add_option("--limit", f->limit, "At most this many")->check(CLI::Range(1, 10000));
  list->add_flag("--json", f->json_out, "Print JSON");
  list->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->dlq_list(f->limit);
      if (!r) return ctx.fail(r.error());
      const json& letters = (*r)["dead_letters"];
      if (f->json_out) {
        print_json(std::cout, letters);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& d : letters) {
        std::string err = d["error"].is_object() ? d["error"]["class"].get<std::string>() + ": " +
                                                       d["error"]["message"].get<std::string>()
                                                 : "-";
        rows.push_back({d["id"], d["type"], d["dead_letter"]["reason"],
                        std::to_string(d["attempt"].get<int>()), short_time(d["dead_letter"]["at"]),
                        err});
      }
      print_table(std::cout, {"ID", "TYPE", "REASON", "ATTEMPTS", "AT", "LAST ERROR"}, rows);
      return 0;
    };
  });

  auto* show = dlq->add_subcommand("show", "Show one dead letter with its error history");
  show->add_option("--id", f->id, "Job id")->required();
  show->add_flag("--json", f->json_out, "Print JSON");
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->dlq_get(f->id);
      if (!r) return ctx.fail(r.error());
      f->json_out ? print_json(std::cout, *r) : print_job(std::cout, *r);
      return 0;
    };
  });

  auto* replay = dlq->add_subcommand("replay", "Queue a dead-lettered job again");
  replay->add_option("--id", f->id, "Job id")->required();
  replay->add_flag("--json", f->json_out, "Print JSON");
  replay->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->dlq_replay(f->id);
      if (!r) return ctx.fail(r.error());
      if (f->json_out)
        print_json(std::cout, *r);
      else
        std::cout << f->id << ": replayed, " << (*r)["status"].get<std::string>() << "\n";
      return 0;
    };
  });

  auto* purge = dlq->add_subcommand("purge", "Remove dead letters (the jobs stay, failed)");
  purge->add_option("--id", f->id, "Only this job's letter");
  purge->add_flag("--all", f->all, "Every letter (asks first on a terminal)");
  purge->add_flag("--yes,-y", f->yes, "Do not ask");
  purge->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      if (f->id.empty() == !f->all)
        return ctx.fail(make_error(ErrorClass::invalid, "dlq purge needs --id ID or --all"));
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      if (f->all && !f->yes && ::isatty(STDIN_FILENO) == 1) {
        auto letters = (*backend)->dlq_list(1000);
        if (!letters) return ctx.fail(letters.error());
        const auto n = (*letters)["dead_letters"].size();
        std::cout << "Purge " << (n >= 1000 ? "1000 or more" : std::to_string(n))
                  << " dead letter(s)? Their jobs stay, failed. [y/N] " << std::flush;
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") {
          std::cout << "nothing purged\n";
          return kExitFailure;
        }
      }
      auto r = (*backend)->dlq_purge(f->all ? std::nullopt : std::optional(f->id));
      if (!r) return ctx.fail(r.error());
      std::cout << "purged " << (*r)["purged"].get<int>() << " dead letter(s)\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
