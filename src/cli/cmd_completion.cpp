// hypersdk completion bash|zsh|fish, hypersdk man, and the hidden helper the completions call
// at Tab time: hypersdk __complete schedules [PREFIX] (schedule names, one a line).
#include <date/date.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/cli_model.h"
#include "cli/commands.h"
#include "cli/completion_script.h"
#include "cli/man_page.h"

namespace hypersdk::cli {
namespace {

// SOURCE_DATE_EPOCH (reproducible builds) when set, else today.
std::string page_date() {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e != nullptr && *e != '\0') {
    char* end = nullptr;
    const long long s = std::strtoll(e, &end, 10);
    if (*end == '\0' && s >= 0) now = std::chrono::sys_seconds(std::chrono::seconds(s));
  }
  return date::format("%F", date::floor<date::days>(now));
}

}  // namespace

void add_completion_command(CLI::App& app, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "completion", "Print a shell completion script: source <(hyperctl completion bash)");
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  // The callbacks run after parsing, when every command has been added: `app` is complete.
  cmd->callback([&app, &ctx, shell] {
    ctx.action = [&app, shell] {
      const CliCommand root = describe_cli(app);
      std::cout << (*shell == "bash"  ? bash_completion(root)
                    : *shell == "zsh" ? zsh_completion(root)
                                      : fish_completion(root));
      return 0;
    };
  });

  auto* man =
      app.add_subcommand("man", "Print the manual page hypersdk(1): man -l <(hyperctl man)");
  man->callback([&app, &ctx] {
    ctx.action = [&app] {
      std::cout << man_page(describe_cli(app), HYPERSDK_VERSION, page_date());
      return 0;
    };
  });

  // Hidden (group ""): what the completion scripts run. Quiet on every error, since its
  // output lands on the user's command line; an empty answer just completes nothing.
  auto what = std::make_shared<std::string>();
  auto prefix = std::make_shared<std::string>();
  auto* helper = app.add_subcommand("__complete", "Values for shell completion")->group("");
  helper->add_option("what", *what, "schedules")->required()->check(CLI::IsMember({"schedules"}));
  helper->add_option("prefix", *prefix, "Only values starting with this");
  // The callback owns what and prefix: CLI11 writes into them while it parses, after this
  // function has returned (a `what` owned by nobody was a use after free).
  helper->callback([&ctx, prefix, what] {
    ctx.action = [&ctx, prefix] {
      auto backend = ctx.backend();
      if (!backend) return 0;
      ScheduleQuery q;
      q.name = *prefix + "*";
      q.limit = 1000;
      auto page = (*backend)->schedule_list(q);
      if (!page) return 0;
      for (const auto& s : (*page)["schedules"]) std::cout << s["name"].get<std::string>() << "\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
