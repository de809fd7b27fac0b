// hypersdk schedule next: the next fire times of a cron expression in a time zone (or of a
// stored schedule), in local time and UTC, marking the ones DST moved or repeated. Computed
// here, from the same core functions the scheduler uses; --name reads the schedule through the
// backend.
#include <iostream>

#include "cli/cmd_schedule.h"
#include "cli/output.h"
#include "core/cron_next.h"
#include "engine/file_clock.h"
#include "wire/job_json.h"
#include "wire/schedule_json.h"

namespace hypersdk::cli {
using nlohmann::json;

void print_fires(std::ostream& out, const json& fires) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : fires) {
    std::string local = f["local"].get<std::string>();  // 2025-03-09T03:30:00-05:00
    const std::string offset = local.substr(19);
    local = local.substr(0, 10) + " " + local.substr(11, 8) + " " +
            f["zone_abbrev"].get<std::string>() + " (" + offset + ")";
    const std::string nominal = f["nominal_local"].get<std::string>().substr(11, 5);
    std::string note;
    if (f["dst_shifted"].get<bool>())
      note = "dst-shifted: " + nominal + " does not exist (spring forward)";
    else if (f["fold_second"].get<bool>())
      note = "repeated hour: second " + nominal + " (fall back)";
    else if (f["repeated_hour"].get<bool>())
      note = "repeated hour: first " + nominal + " (fall back)";
    rows.push_back({local, f["utc"].get<std::string>(), note.empty() ? "-" : note});
  }
  print_table(out, {"LOCAL", "UTC", "NOTE"}, rows);
}

void add_schedule_next_command(CLI::App& schedule, Context& ctx) {
  struct Flags {
    std::string name, cron, timezone, from, dst_gap = "shift", dst_fold = "auto";
    int count = 5;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = schedule.add_subcommand(
      "next", "Print the next fire times of --cron in --timezone (or of schedule --name)");
  auto* name = cmd->add_option("--name", f->name, "A stored schedule");
  auto* cron = cmd->add_option("--cron", f->cron, "Cron expression, e.g. \"30 2 * * *\"");
  cron->excludes(name);
  cmd->add_option("--timezone", f->timezone, "IANA time zone (default scheduler.default_timezone)")
      ->excludes(name);
  cmd->add_option("--dst-gap", f->dst_gap, "shift (default) or skip")->excludes(name);
  cmd->add_option("--dst-fold", f->dst_fold, "auto (default), first or both")->excludes(name);
  cmd->add_option("--count", f->count, "How many (1-1000)")->check(CLI::Range(1, 1000));
  cmd->add_option("--from", f->from,
                  "Fires strictly after this time, ISO 8601 with an offset or Z (default now)");
  cmd->add_flag("--json", f->json_out, "Print a JSON array");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      if (f->name.empty() && f->cron.empty())
        return ctx.fail(make_error(ErrorClass::invalid, "schedule next needs --cron or --name"));
      std::string cron = f->cron, timezone = f->timezone, gap_text = f->dst_gap,
                  fold_text = f->dst_fold;
      if (!f->name.empty()) {
        auto backend = ctx.backend();
        if (!backend) return ctx.fail(backend.error());
        auto s = (*backend)->schedule_get(f->name, 0);
        if (!s) return ctx.fail(s.error());
        cron = (*s)["cron"].get<std::string>();
        timezone = (*s)["timezone"].get<std::string>();
        gap_text = (*s)["dst_gap"].get<std::string>();
        fold_text = (*s)["dst_fold"].get<std::string>();
      } else if (timezone.empty()) {
        auto cfg = ctx.config();
        if (!cfg) return ctx.fail(cfg.error());
        timezone = (*cfg)->get_string("scheduler.default_timezone");
      }
      auto expr = core::parse_cron(cron);
      if (!expr) return ctx.fail(expr.error());
      auto zone = core::find_zone(timezone);
      if (!zone) return ctx.fail(zone.error());
      auto gap = core::parse_dst_gap(gap_text);
      if (!gap) return ctx.fail(gap.error());
      auto fold = core::parse_dst_fold(fold_text);
      if (!fold) return ctx.fail(fold.error());
      core::TimeMs from_ms = 0;
      if (f->from.empty()) {
        from_ms = engine::cli_clock()->now_ms();
      } else {
        auto t = core::parse_time(f->from);
        if (!t) return ctx.fail(t.error());
        from_ms = *t;
      }
      const auto after = date::floor<std::chrono::seconds>(
          date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(from_ms)));
      json fires = json::array();
      for (const auto& fire :
           core::next_fires(*expr, *zone, after, static_cast<std::size_t>(f->count), *gap, *fold))
        fires.push_back(wire::fire_to_json(fire, *zone));
      if (f->json_out) {
        print_json(std::cout, fires);
        return 0;
      }
      std::cout << "\"" << expr->to_string() << "\" in " << timezone << " (dst_gap "
                << core::to_string(*gap) << ", dst_fold " << core::to_string(*fold) << "), after "
                << core::format_time(from_ms) << ":\n";
      if (fires.empty()) {
        std::cout << "(no fire within ten years)\n";
        return 0;
      }
      print_fires(std::cout, fires);
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
