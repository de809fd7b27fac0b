// `db copy`, a subcommand of `db` (cmd_db.cpp adds it): declared apart from commands.h so that
// only cmd_db.cpp depends on it.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace hypersdk::cli {

void add_db_copy_command(CLI::App& db, Context& ctx);  // cmd_db_copy.cpp

}  // namespace hypersdk::cli
