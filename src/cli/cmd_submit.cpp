// hypersdk submit: queue a job from flags or from a JSON/YAML file; many jobs at once (one
// transaction) from a JSON Lines file (one request per line) or a file holding an array.
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/yaml_json.h"
#include "wire/json_limits.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {
struct SubmitFlags {
  std::string type;
  std::string file;
  std::vector<std::string> command;
  std::string shell;
  std::vector<std::string> env;
  std::string cwd;
  std::optional<std::int64_t> retry_max;
  std::string retry_backoff;
  std::string timeout;
  std::optional<std::int64_t> priority;  // range-checked by the request parser, not here
  std::string idempotency_key;
  std::string target;
  std::string run_at;
  std::string window, days, timezone, window_close;
  std::vector<std::string> holidays;
  std::string provider, vm, format;  // provider jobs: payload provider / vm / format
  bool json_out = false;
};

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A JSON Lines file: one job request per line; blank lines are skipped. Errors name the line.
Result<json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorClass::invalid, path + ": cannot be read");
  json batch = json::array();
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto doc = wire::parse_json_bounded(line, path + ":" + std::to_string(n));
    if (!doc) return doc.error();
    batch.push_back(std::move(*doc));
  }
  return batch;
}

// Flags that shape one job; a batch file carries its jobs whole, so none of them may be set.
bool has_job_flags(const SubmitFlags& f) {
  return !f.type.empty() || !f.command.empty() || !f.shell.empty() || !f.env.empty() ||
         !f.cwd.empty() || f.retry_max || !f.retry_backoff.empty() || !f.timeout.empty() ||
         f.priority || !f.idempotency_key.empty() || !f.target.empty() || !f.run_at.empty() ||
         !f.window.empty() || !f.days.empty() || !f.holidays.empty() || !f.timezone.empty() ||
         !f.window_close.empty();
}

// Prints one line per request (its job id, or "error: line N: ..."), or the whole answer
// with --json. Exit 0 when every job was accepted, else the first refusal's exit code.
int print_batch(const json& answer, bool json_out) {
  if (json_out) print_json(std::cout, answer);
  int code = 0;
  const auto& results = answer["results"];
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.contains("job")) {
      if (!json_out) std::cout << r["job"]["id"].get<std::string>() << "\n";
      continue;
    }
    const std::string cls = r["error"]["code"].get<std::string>();
    if (!json_out)
      std::cerr << "hypersdk: error: job " << i + 1 << ": "
                << r["error"]["message"].get<std::string>() << "\n";
    if (code == 0) code = exit_code_for(parse_error_class(cls).value_or(ErrorClass::internal));
  }
  return code;
}

// `file_doc` is --file's content, read once by the caller (a pipe such as /dev/stdin cannot
// be read twice).
Result<json> build_request(const SubmitFlags& f, std::optional<json> file_doc) {
  json req = json::object();
  if (file_doc) {
    req = std::move(*file_doc);
    if (!req.is_object())
      return make_error(ErrorClass::invalid, f.file + ": a job file must hold one object");
  }
  if (!f.type.empty()) req["type"] = f.type;
  if (!req.contains("type"))
    return make_error(ErrorClass::invalid, "--type is required (e.g. --type exec), or --file");
  if (!f.command.empty() || !f.shell.empty() || !f.env.empty() || !f.cwd.empty()) {
    json& p = req["payload"];
    if (!p.is_object()) p = json::object();
    if (!f.command.empty()) p["argv"] = f.command;
    if (!f.shell.empty()) p["shell"] = f.shell;
    for (const auto& kv : f.env) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return make_error(ErrorClass::invalid, "--env takes NAME=VALUE, got '" + kv + "'");
      p["env"][kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!f.cwd.empty()) p["cwd"] = f.cwd;
  }
  for (const auto& [key, value] : {std::pair{"provider", &f.provider}, std::pair{"vm", &f.vm},
                                   std::pair{"format", &f.format}}) {
    if (value->empty()) continue;
    json& p = req["payload"];
    if (!p.is_object()) p = json::object();
    p[key] = *value;
  }
  if (f.retry_max) req["max_retries"] = *f.retry_max;
  if (!f.retry_backoff.empty()) req["retry"]["backoff"] = f.retry_backoff;
  if (!f.timeout.empty()) req["timeout"] = f.timeout;
  if (f.priority) req["priority"] = *f.priority;
  if (!f.idempotency_key.empty()) req["idempotency_key"] = f.idempotency_key;
  if (!f.target.empty()) req["target"] = f.target;
  if (!f.run_at.empty()) req["run_at"] = f.run_at;
  if (!f.window.empty()) req["window"] = f.window;
  if (!f.days.empty()) req["days"] = f.days;
  if (!f.holidays.empty()) req["holidays"] = f.holidays;
  if (!f.timezone.empty()) req["timezone"] = f.timezone;
  if (!f.window_close.empty()) req["window_close"] = f.window_close;
  return req;
}
}  // namespace

void add_submit_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<SubmitFlags>();
  auto* cmd = app.add_subcommand("submit", "Queue a job; prints its id");
  cmd->add_option("--type", f->type, "Job type: exec, noop, ...");
  cmd->add_option("--file", f->file,
                  "Job request as JSON or YAML; many jobs in one transaction from a .jsonl file "
                  "(one request per line) or a file holding an array");
  cmd->add_option("--shell", f->shell, "exec: run this line with /bin/sh (if the config allows)");
  cmd->add_option("--env", f->env, "exec: NAME=VALUE for the command's environment");
  cmd->add_option("--cwd", f->cwd, "exec: working directory");
  cmd->add_option("--retry-max", f->retry_max, "Retries after the first attempt (0..100)");
  cmd->add_option("--retry-backoff", f->retry_backoff, "exponential, linear or fixed");
  cmd->add_option("--timeout", f->timeout, "Per-attempt timeout, e.g. 30m");
  cmd->add_option("--priority", f->priority, "Higher runs first (-1000..1000)");
  cmd->add_option("--idempotency-key", f->idempotency_key,
                  "Submitting the same key again returns the first job");
  cmd->add_option("--target", f->target, "VM name the job acts on");
  cmd->add_option("--run-at", f->run_at, "Not before this time (ISO 8601)");
  cmd->add_option("--window", f->window,
                  "Start only in this window, HH:MM-HH:MM (\"22:00-06:00\"); outside it the job "
                  "waits");
  cmd->add_option("--days", f->days, "Days the window opens: mon-fri, sat,sun, ...");
  cmd->add_option("--holidays", f->holidays, "Holiday calendars (from config) that keep it closed")
      ->delimiter(',');
  cmd->add_option("--timezone", f->timezone,
                  "IANA zone of the window (default scheduler.default_timezone)");
  cmd->add_option("--window-close", f->window_close,
                  "Still running at window close: let_finish (default) or cancel");
  cmd->add_option("--provider", f->provider, "export, snapshot, backup: the provider (payload)");
  cmd->add_option("--vm", f->vm, "export, snapshot, backup: the VM (payload vm)");
  cmd->add_option("--format", f->format, "export, convert: ova, ovf, vmdk, qcow2, raw (payload)");
  cmd->add_flag("--json", f->json_out, "Print the job as JSON");
  cmd->add_option("command", f->command, "exec: the command and its arguments, after --");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      // A batch: a .jsonl file, or a JSON/YAML file holding an array of requests.
      std::optional<json> batch, single;
      if (!f->file.empty() && (ends_with(f->file, ".jsonl") || ends_with(f->file, ".ndjson"))) {
        auto lines = read_jsonl(f->file);
        if (!lines) return ctx.fail(lines.error());
        batch = std::move(*lines);
      } else if (!f->file.empty()) {
        auto doc = read_json_or_yaml_file(f->file);
        if (!doc) return ctx.fail(doc.error());
        (doc->is_array() ? batch : single) = std::move(*doc);
      }
      if (batch) {
        if (has_job_flags(*f))
          return ctx.fail(make_error(ErrorClass::invalid,
                                     f->file + " holds many jobs: give each its settings in the "
                                               "file, not as flags"));
        auto backend = ctx.backend();
        if (!backend) return ctx.fail(backend.error());
        auto answer = (*backend)->submit_batch(*batch);
        if (!answer) return ctx.fail(answer.error());
        return print_batch(*answer, f->json_out);
      }
      auto req = build_request(*f, std::move(single));
      if (!req) return ctx.fail(req.error());
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto job = (*backend)->submit(*req);
      if (!job) return ctx.fail(job.error());
      if (f->json_out)
        print_json(std::cout, *job);
      else
        std::cout << (*job)["id"].get<std::string>() << "\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
