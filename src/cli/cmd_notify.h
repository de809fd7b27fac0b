// hypersdk notify: declared apart from commands.h so that adding it does not rebuild every
// command (the lead may fold it into commands.h at a merge).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace hypersdk::cli {

void add_notify_command(CLI::App& app, Context& ctx);  // cmd_notify.cpp

}  // namespace hypersdk::cli
