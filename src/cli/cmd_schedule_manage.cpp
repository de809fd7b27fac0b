// hypersdk schedule list | show | delete | pause | resume | run | audit
#include <iostream>

#include "cli/cmd_schedule.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

std::string state(const json& s) {
  if (!s["enabled"].get<bool>()) return "disabled";
  return s["paused"].get<bool>() ? "paused" : "active";
}

std::string next_local(const json& s) {
  const json& n = s["next_fire"];
  if (!n.is_object()) return "-";
  std::string local = n["local"].get<std::string>();
  local[10] = ' ';
  return local.substr(0, 16) + " " + n["zone_abbrev"].get<std::string>();
}

// "noop", or "workflow migrate" for a schedule that runs a workflow template.
std::string what_runs(const json& s) {
  if (s.contains("workflow") && s["workflow"].is_string())
    return "workflow " + s["workflow"].get<std::string>();
  return text(s["type"]);
}

void print_schedule(const json& s) {
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"Name", text(s["name"])},
      {"State", state(s)},
      {"Cron", text(s["cron"]) + " (" + text(s["timezone"]) + ")"},
      {"Type", what_runs(s)},
      {s.contains("workflow") && s["workflow"].is_string() ? "Params" : "Payload",
       s.contains("workflow") && s["workflow"].is_string() ? s["params"].dump()
                                                           : s["payload"].dump()},
      {"Target", text(s["target"])},
      {"Priority", std::to_string(s["priority"].get<int>())},
      {"Retries", std::to_string(s["max_retries"].get<int>()) + ", " + text(s["retry"]["backoff"])},
      {"Window",
       text(s["window"]) + ", days " + text(s["days"]) + ", close " + text(s["window_close"])},
      {"Holidays", s["holidays"].empty() ? "-" : s["holidays"].dump()},
      {"Overlap", text(s["overlap"])},
      {"Catch-up", text(s["catchup"]) + " (window " + text(s["catchup_window"]) + ", max " +
                       std::to_string(s["max_catchup_runs"].get<int>()) + " runs)"},
      {"DST", "gap " + text(s["dst_gap"]) + ", fold " + text(s["dst_fold"])},
      {"Cursor", short_time(s["cursor"])},
      {"Next fire", s["next_fire"].is_object()
                        ? text(s["next_fire"]["local"]) + " (" + text(s["next_fire"]["utc"]) + ")"
                        : "-"},
  };
  for (const auto& [k, v] : rows)
    std::cout << k << ":" << std::string(12 - std::string(k).size(), ' ') << v << "\n";
  if (!s.contains("occurrences") || s["occurrences"].empty()) return;
  std::cout << "\nRecent occurrences:\n";
  std::vector<std::vector<std::string>> table;
  for (const auto& o : s["occurrences"]) {
    std::string local = text(o["nominal_local"]);
    if (o["dst_shifted"].get<bool>()) local += " (dst-shifted)";
    if (o["fold_second"].get<bool>()) local += " (2nd)";
    table.push_back({local, short_time(o["nominal_utc"]), text(o["outcome"]), text(o["reason"]),
                     text(o["job_id"])});
  }
  print_table(std::cout, {"NOMINAL (LOCAL)", "NOMINAL (UTC)", "OUTCOME", "REASON", "JOB"}, table);
}

}  // namespace

void add_schedule_manage_commands(CLI::App& schedule, Context& ctx) {
  struct Flags {
    std::string name;
    std::string reason;
    bool emergency = false;
    bool json_out = false;
    int occurrences = 20;
    int limit = 50;
    ScheduleQuery q;
    bool paused_only = false;
    bool active_only = false;
  };
  auto f = std::make_shared<Flags>();

  auto* list = schedule.add_subcommand(
      "list", "List schedules by name with their next fire, a page at a time");
  list->add_flag("--json", f->json_out, "Print a JSON array of schedules");
  list->add_option("--limit", f->q.limit, "At most this many (1-1000, default 50)")
      ->check(CLI::Range(1, 1000));
  list->add_option("--cursor", f->q.cursor,
                   "Continue after this schedule name (from a previous page)");
  list->add_option("--name", f->q.name, "Only names matching this glob, e.g. 'nightly-*'");
  list->add_option("--provider", f->q.provider, "Only schedules of this provider");
  auto* paused = list->add_flag("--paused", f->paused_only, "Only paused schedules");
  list->add_flag("--active", f->active_only, "Only schedules that are not paused")
      ->excludes(paused);
  list->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      f->q.paused = f->paused_only ? "true" : f->active_only ? "false" : "";
      auto r = (*backend)->schedule_list(f->q);
      if (!r) return ctx.fail(r.error());
      const json& all = (*r)["schedules"];
      if (f->json_out) {
        print_json(std::cout, all);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& s : all)
        rows.push_back({text(s["name"]), text(s["cron"]), text(s["timezone"]), what_runs(s),
                        text(s["window"]), text(s["overlap"]), text(s["catchup"]), state(s),
                        next_local(s)});
      print_table(std::cout,
                  {"NAME", "CRON", "TIMEZONE", "TYPE", "WINDOW", "OVERLAP", "CATCHUP", "STATE",
                   "NEXT FIRE"},
                  rows);
      if ((*r)["next_cursor"].is_string())
        std::cout << "(more: --cursor " << (*r)["next_cursor"].get<std::string>() << ")\n";
      return 0;
    };
  });

  auto* show = schedule.add_subcommand("show", "Show a schedule and its recent occurrences");
  show->add_option("--name", f->name, "Schedule name")->required();
  show->add_option("--occurrences", f->occurrences, "How many recent occurrences (0-1000)")
      ->check(CLI::Range(0, 1000));
  show->add_flag("--json", f->json_out, "Print JSON");
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->schedule_get(f->name, f->occurrences);
      if (!r) return ctx.fail(r.error());
      f->json_out ? print_json(std::cout, *r) : print_schedule(*r);
      return 0;
    };
  });

  auto* del = schedule.add_subcommand("delete", "Delete a schedule (its jobs stay)");
  del->add_option("--name", f->name, "Schedule name")->required();
  del->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->schedule_delete(f->name);
      if (!r) return ctx.fail(r.error());
      std::cout << "deleted schedule " << f->name << "\n";
      return 0;
    };
  });

  for (bool pause : {true, false}) {
    auto* cmd = schedule.add_subcommand(
        pause ? "pause" : "resume",
        pause ? "Pause a schedule: no fires until resumed"
              : "Resume a paused schedule from now (occurrences while paused are not run)");
    cmd->add_option("--name", f->name, "Schedule name")->required();
    cmd->add_flag("--json", f->json_out, "Print the schedule as JSON");
    cmd->callback([&ctx, f, pause] {
      ctx.action = [&ctx, f, pause]() -> int {
        auto backend = ctx.backend();
        if (!backend) return ctx.fail(backend.error());
        auto r = (*backend)->schedule_pause(f->name, pause);
        if (!r) return ctx.fail(r.error());
        if (f->json_out) {
          print_json(std::cout, *r);
        } else {
          std::cout << (pause ? "paused" : "resumed") << " schedule " << f->name;
          if (!pause && (*r)["next_fire"].is_object())
            std::cout << "; next fire " << text((*r)["next_fire"]["local"]);
          std::cout << "\n";
        }
        return 0;
      };
    });
  }

  auto* run = schedule.add_subcommand(
      "run", "Run a schedule's job now; --emergency bypasses window, holidays and overlap");
  run->add_option("--name", f->name, "Schedule name")->required();
  auto* emergency = run->add_flag(
      "--emergency", f->emergency,
      "Start now whatever the window, holidays and overlap say (written to the audit log)");
  run->add_option("--reason", f->reason, "Why (required with --emergency; audited)")
      ->needs(emergency);
  run->add_flag("--json", f->json_out, "Print the job as JSON");
  run->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      if (f->emergency && f->reason.empty())
        return ctx.fail(make_error(ErrorClass::invalid,
                                   "--emergency needs --reason TEXT: it is written to the audit "
                                   "log"));
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      json req{{"emergency", f->emergency}};
      if (!f->reason.empty()) req["reason"] = f->reason;
      auto job = (*backend)->schedule_run(f->name, req);
      if (!job) return ctx.fail(job.error());
      if (f->json_out) {
        print_json(std::cout, *job);
        return 0;
      }
      std::cout << text((*job)["id"]) << " " << text((*job)["status"]);
      if ((*job)["status"] == "waiting") std::cout << " until " << short_time((*job)["run_at"]);
      if (f->emergency) std::cout << " (emergency run, audited)";
      std::cout << "\n";
      return 0;
    };
  });

  auto* audit = schedule.add_subcommand("audit", "Emergency overrides: who, when, why");
  audit->add_option("--limit", f->limit, "At most this many")->check(CLI::Range(1, 10000));
  audit->add_flag("--json", f->json_out, "Print JSON");
  audit->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->audit_list(f->limit);
      if (!r) return ctx.fail(r.error());
      if (f->json_out) {
        print_json(std::cout, (*r)["entries"]);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : (*r)["entries"])
        rows.push_back({short_time(a["at"]), text(a["actor"]), text(a["action"]),
                        text(a["subject"]), text(a["job_id"]), text(a["reason"])});
      print_table(std::cout, {"AT", "ACTOR", "ACTION", "SCHEDULE", "JOB", "REASON"}, rows);
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
