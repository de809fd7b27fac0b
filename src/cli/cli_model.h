// A plain description of the CLI as CLI11 defines it (commands, flags, what each flag's value
// may be), read from the CLI::App after every command was added. Shell completions and the
// man page are generated from it (completion_script.h, man_page.h), so they never drift from
// the flags the binary really accepts.
//
// Thread safety: a value; describe_cli() reads the app only.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace hypersdk::cli {

struct CliOption {
  std::vector<std::string> names;  // "--status", "-v"
  std::string description;
  bool takes_value = false;
  bool positional = false;          // e.g. the command after `--`
  std::vector<std::string> values;  // the enumerated values, when there is a fixed set
  // How a shell finds values not known at build time: "" (none), "file", "schedules" (names
  // from the database, via the hidden `__complete schedules` subcommand).
  std::string dynamic;
};

struct CliCommand {
  std::string name;  // "" for the root
  std::string description;
  std::vector<CliOption> options;
  std::vector<CliCommand> subcommands;
};

// The visible commands and options of `app` (hidden ones, group "", are left out), with the
// enumerations hypersdk knows: job statuses, job types, retry backoffs, schedule policies.
CliCommand describe_cli(const CLI::App& app);

}  // namespace hypersdk::cli
