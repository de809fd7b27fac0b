// Shell completion scripts generated from the CLI's description (cli_model.h):
// `hypersdk completion bash|zsh|fish`. They complete subcommands, flags and flag values
// (`--status=<Tab>`, `--type <Tab>`); schedule names come from the database at Tab time
// through the hidden `hypersdk __complete schedules PREFIX`.
#pragma once

#include <string>

#include "cli/cli_model.h"

namespace hypersdk::cli {

std::string bash_completion(const CliCommand& root);
// zsh runs the bash script through its bashcompinit layer (the same behaviour in both).
std::string zsh_completion(const CliCommand& root);
std::string fish_completion(const CliCommand& root);

}  // namespace hypersdk::cli
