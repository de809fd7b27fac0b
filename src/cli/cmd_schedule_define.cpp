// hypersdk schedule create | update: the flags of a schedule definition, turned into the
// API's request JSON (only the flags given, so update changes just those).
#include <iostream>

#include "cli/cmd_schedule.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

struct DefineFlags {
  std::string name;
  std::string cron, timezone, type, target, provider, workflow, window, days, window_close, overlap,
      catchup, catchup_window, dst_gap, dst_fold, timeout, retry_backoff;
  std::vector<std::string> command, holidays, params;
  // Wide, so a huge value reaches the request parser and gets its range in the error.
  std::int64_t retry_max = 0, priority = 0, max_catchup_runs = 0;
  bool disabled = false, enable = false, disable = false, json_out = false;
  std::vector<std::pair<const char*, CLI::Option*>> text_options;  // request key -> option
  CLI::Option* retry_max_opt = nullptr;
  CLI::Option* priority_opt = nullptr;
  CLI::Option* max_catchup_opt = nullptr;
  CLI::Option* command_opt = nullptr;
  CLI::Option* args_opt = nullptr;
  CLI::Option* holidays_opt = nullptr;
  CLI::Option* params_opt = nullptr;
};

void add_definition_flags(CLI::App* cmd, DefineFlags& f) {
  auto text = [&](const char* flag, const char* key, std::string& into, const char* help) {
    f.text_options.emplace_back(key, cmd->add_option(flag, into, help));
  };
  text("--cron", "cron", f.cron, "Cron expression, 5 fields or @daily etc., e.g. \"0 2 * * *\"");
  text("--timezone", "timezone", f.timezone,
       "IANA time zone of the cron and window (default scheduler.default_timezone)");
  text("--type", "type", f.type,
       "Job type (exec, backup, export, ...) or a backup kind: full, incremental");
  text("--target", "target", f.target, "VM name or glob (\"prod-web-*\"), expanded at fire time");
  text("--provider", "provider", f.provider, "Provider of the target");
  text("--workflow", "workflow", f.workflow,
       "Run this workflow template at each occurrence (instead of --type), e.g. migrate");
  f.params_opt = cmd->add_option("--param", f.params,
                                 "Workflow template parameter k=v (repeat); vm and provider "
                                 "default to --target (each VM a glob matches) and --provider");
  text("--window", "window", f.window,
       "Jobs start only in this window, HH:MM-HH:MM in the zone (\"22:00-06:00\"); \"\" = none");
  text("--days", "days", f.days, "Days the window opens: mon-fri, sat,sun, * (default)");
  text("--window-close", "window_close", f.window_close,
       "A job still running when the window closes: let_finish (default) or cancel");
  text("--overlap", "overlap", f.overlap,
       "Previous run still active: skip (default), buffer_one, allow, cancel_other");
  text("--catchup", "catchup", f.catchup,
       "Occurrences missed while down: latest (default, run one), all, none");
  text("--catchup-window", "catchup_window", f.catchup_window,
       "Only catch up occurrences this recent (default 1h)");
  text("--dst-gap", "dst_gap", f.dst_gap,
       "Wall time skipped by spring-forward: shift (default, run after the gap) or skip");
  text("--dst-fold", "dst_fold", f.dst_fold,
       "Wall time repeated by fall-back: auto (default), first or both");
  text("--timeout", "timeout", f.timeout, "Per-attempt timeout of its jobs, e.g. 2h");
  f.holidays_opt = cmd->add_option("--holidays", f.holidays,
                                   "Holiday calendars (from config) on which the window stays "
                                   "closed; comma-separated or repeated")
                       ->delimiter(',');
  f.command_opt = cmd->add_option("--command", f.command,
                                  "exec: the command; one string is split like a shell would "
                                  "(\"echo hi\"), or repeat the flag per argument");
  f.args_opt = cmd->add_option("args", f.command, "exec: the command and its arguments, after --");
  f.retry_max_opt =
      cmd->add_option("--retry-max", f.retry_max, "Retries after the first attempt (0..100)");
  f.text_options.emplace_back("retry.backoff", cmd->add_option("--retry-backoff", f.retry_backoff,
                                                               "exponential, linear or fixed"));
  f.priority_opt = cmd->add_option("--priority", f.priority, "Higher runs first (-1000..1000)");
  f.max_catchup_opt = cmd->add_option("--max-catchup-runs", f.max_catchup_runs,
                                      "catchup all: at most this many runs (default 100)");
  cmd->add_flag("--json", f.json_out, "Print the schedule as JSON");
}

json build_request(const DefineFlags& f) {
  json req = json::object();
  for (const auto& [key, opt] : f.text_options) {
    if (opt->count() == 0) continue;
    const std::string value = opt->as<std::string>();
    if (std::string(key) == "retry.backoff")
      req["retry"]["backoff"] = value;
    else
      req[key] = value;
  }
  if (f.holidays_opt->count() > 0) req["holidays"] = f.holidays;
  if (f.params_opt->count() > 0) {
    json params = json::object();
    for (const auto& kv : f.params) {
      const auto eq = kv.find('=');
      // "k" without "=v" reaches the parser as a non-string and is refused there by name.
      if (eq == std::string::npos || eq == 0)
        params[kv] = nullptr;
      else
        params[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    req["params"] = params;
  }
  if (f.command_opt->count() > 0 || f.args_opt->count() > 0) req["command"] = f.command;
  if (f.retry_max_opt->count() > 0) req["max_retries"] = f.retry_max;
  if (f.priority_opt->count() > 0) req["priority"] = f.priority;
  if (f.max_catchup_opt->count() > 0) req["max_catchup_runs"] = f.max_catchup_runs;
  return req;
}

void print_defined(const json& s, const char* verb) {
  std::cout << verb << " schedule " << s["name"].get<std::string>();
  if (s["next_fire"].is_object())
    std::cout << "; next fire " << s["next_fire"]["local"].get<std::string>() << " ("
              << s["next_fire"]["utc"].get<std::string>() << ")";
  else if (s["paused"].get<bool>() || !s["enabled"].get<bool>())
    std::cout << " (" << (s["paused"].get<bool>() ? "paused" : "disabled") << ")";
  std::cout << "\n";
}

}  // namespace

void add_schedule_define_commands(CLI::App& schedule, Context& ctx) {
  auto cf = std::make_shared<DefineFlags>();
  auto* create = schedule.add_subcommand("create", "Define a schedule");
  create->add_option("--name", cf->name, "Unique name, e.g. nightly-backup")->required();
  add_definition_flags(create, *cf);
  create->add_flag("--disabled", cf->disabled, "Create it disabled (no fires until enabled)");
  create->callback([&ctx, cf] {
    ctx.action = [&ctx, cf]() -> int {
      json req = build_request(*cf);
      req["name"] = cf->name;
      if (cf->disabled) req["enabled"] = false;
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto s = (*backend)->schedule_create(req);
      if (!s) return ctx.fail(s.error());
      if (cf->json_out)
        print_json(std::cout, *s);
      else
        print_defined(*s, "created");
      return 0;
    };
  });

  auto uf = std::make_shared<DefineFlags>();
  auto* update = schedule.add_subcommand(
      "update", "Change a schedule: only the flags given change (a new cron restarts it from now)");
  update->add_option("--name", uf->name, "The schedule to change")->required();
  add_definition_flags(update, *uf);
  auto* enable = update->add_flag("--enable", uf->enable, "Enable it");
  update->add_flag("--disable", uf->disable, "Disable it (no fires until enabled)")
      ->excludes(enable);
  update->callback([&ctx, uf] {
    ctx.action = [&ctx, uf]() -> int {
      json req = build_request(*uf);
      if (uf->enable) req["enabled"] = true;
      if (uf->disable) req["enabled"] = false;
      if (req.empty())
        return ctx.fail(make_error(ErrorClass::invalid,
                                   "schedule update: nothing to change (give --cron, --window, "
                                   "--enable, ...)"));
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto s = (*backend)->schedule_update(uf->name, req);
      if (!s) return ctx.fail(s.error());
      if (uf->json_out)
        print_json(std::cout, *s);
      else
        print_defined(*s, "updated");
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
