// hypersdk schedule create | update | list | show | delete | pause | resume | run | audit | next
#include "cli/cmd_schedule.h"

#include "cli/commands.h"

namespace hypersdk::cli {

void add_schedule_command(CLI::App& app, Context& ctx) {
  auto* schedule = app.add_subcommand(
      "schedule", "Recurring jobs: cron in a time zone, windows, holidays, catch-up, overlap");
  schedule->require_subcommand(1);
  add_schedule_define_commands(*schedule, ctx);
  add_schedule_manage_commands(*schedule, ctx);
  add_schedule_next_command(*schedule, ctx);
}

}  // namespace hypersdk::cli
