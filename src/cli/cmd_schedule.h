// The parts of `hypersdk schedule`, one file each: define (create, update), manage (list,
// show, delete, pause, resume, run, audit) and next. Internal to src/cli.
#pragma once

#include <iosfwd>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"

namespace hypersdk::cli {

void add_schedule_define_commands(CLI::App& schedule, Context& ctx);
void add_schedule_manage_commands(CLI::App& schedule, Context& ctx);
void add_schedule_next_command(CLI::App& schedule, Context& ctx);

// One line per fire: LOCAL, UTC and a NOTE for DST-shifted and repeated-hour fires.
void print_fires(std::ostream& out, const nlohmann::json& fires);

}  // namespace hypersdk::cli
