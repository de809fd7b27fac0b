// Internal to the workflow command (cmd_workflow.cpp): its `template` subcommands.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace hypersdk::cli {

// hypersdk workflow template create | list | show | delete (cmd_workflow_template.cpp).
void add_workflow_template_command(CLI::App& workflow, Context& ctx);

}  // namespace hypersdk::cli
