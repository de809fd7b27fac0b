// hypersdk logs --id=ID [--follow]: a job's output; --follow streams until the job ends.
// In text form a finished job's log ends with how it ended ("[end] exit status 0 (succeeded)").
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "wire/progress_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {
// A progress bar redrawn in place on a terminal; cleared before the next log line. Both
// backends' follow() pass progress as {"progress": {...}} between the log lines.
struct Bar {
  bool tty = ::isatty(STDOUT_FILENO) == 1;
  bool shown = false;
  void clear() {
    if (shown) std::cout << "\r\033[K";
    shown = false;
  }
  void draw(const json& p) {
    if (!tty) return;
    constexpr int kWidth = 30;
    const double pct =
        p.contains("percent") && p["percent"].is_number() ? p["percent"].get<double>() : 0;
    const int filled = static_cast<int>(pct / 100.0 * kWidth);
    clear();
    std::cout << "[" << std::string(std::clamp(filled, 0, kWidth), '#')
              << std::string(kWidth - std::clamp(filled, 0, kWidth), ' ') << "] "
              << wire::progress_text(p) << std::flush;
    shown = true;
  }
};

void print_line(const json& l, bool json_out, Bar& bar) {
  if (l.contains("progress")) {
    if (!json_out) bar.draw(l["progress"]);
    return;
  }
  bar.clear();
  if (json_out) {
    std::cout << l.dump() << "\n";
  } else {
    const std::string stream = l.value("stream", "");
    std::cout << short_time(l["ts"]) << " " << (stream == "stdout" ? "" : "[" + stream + "] ")
              << l.value("line", "") << "\n";
  }
  std::cout.flush();
}

// The last line of a finished job's log (text only): how its last attempt ended, e.g. an exec
// command's exit status, which the output itself does not show.
void print_ending(const json& job) {
  const std::string status = job.value("status", "");
  if (status != "succeeded" && status != "failed" && status != "cancelled" && status != "retrying")
    return;
  std::string how = status;
  if (job.contains("result") && job["result"].is_object() && job["result"].contains("exit_code"))
    how = "exit status " + job["result"]["exit_code"].dump() + " (" + status + ")";
  else if (job.contains("error") && job["error"].is_object())
    how = status + ": " + job["error"].value("message", std::string("?"));
  const json& at = job.contains("finished_at") && job["finished_at"].is_string()
                       ? job["finished_at"]
                       : job["run_at"];
  std::cout << short_time(at) << " [end] " << how << "\n";
}
}  // namespace

void add_logs_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id;
    bool follow = false;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("logs", "Show a job's log");
  cmd->add_option("--id", f->id, "Job id, e.g. j-42")->required();
  cmd->add_flag("--follow,-f", f->follow, "Stream new lines until the job finishes");
  cmd->add_flag("--json", f->json_out, "One JSON object per line");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      if (f->follow) {
        Bar bar;
        auto job =
            (*backend)->follow(f->id, [&](const json& l) { print_line(l, f->json_out, bar); });
        bar.clear();
        if (!job) return ctx.fail(job.error());
        if (!f->json_out) print_ending(*job);
        // Like `tail --pid`, but the exit code says how the job ended.
        return (*job)["status"] == "succeeded" ? kExitOk : kExitFailure;
      }
      std::int64_t after = 0;
      for (;;) {
        auto page = (*backend)->logs(f->id, after, 1000);
        if (!page) return ctx.fail(page.error());
        for (const auto& l : (*page)["lines"]) {
          Bar none{.tty = false};
          print_line(l, f->json_out, none);
          after = l["seq"].get<std::int64_t>();
        }
        if ((*page)["lines"].size() < 1000) {
          if (!f->json_out)
            if (auto job = (*backend)->get(f->id)) print_ending(*job);
          return kExitOk;
        }
      }
    };
  });
}

}  // namespace hypersdk::cli
