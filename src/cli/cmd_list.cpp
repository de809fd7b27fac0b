// hypersdk list: jobs, newest first, optionally by status and type; or the step jobs of one
// workflow (--workflow), each with its step name.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

// The jobs of workflow `id`'s steps in topological order, as `list` shows jobs, each with
// "workflow": {"id", "step"}; filtered by --status and --type.
Result<json> workflow_jobs(Backend& backend, const std::string& id, const ListQuery& q) {
  auto w = backend.workflow_get(id);
  if (!w) return w.error();
  json jobs = json::array();
  for (json s : (*w)["steps"]) {
    if (!q.status.empty() && s["status"] != q.status) continue;
    if (!q.type.empty() && s["type"] != q.type) continue;
    s["id"] = s["job_id"];
    s["workflow"] = {{"id", (*w)["id"]}, {"step", s["name"]}};
    for (const char* k : {"job_id", "name", "depends_on", "trigger_rule", "state", "duration_ms"})
      s.erase(k);
    jobs.push_back(std::move(s));
  }
  return jobs;
}

}  // namespace

void add_list_command(CLI::App& app, Context& ctx) {
  struct Flags {
    ListQuery q;
    std::string workflow;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("list", "List jobs, newest first");
  cmd->add_option("--status", f->q.status, "queued, running, failed, succeeded, ...");
  cmd->add_option("--type", f->q.type, "Only jobs of this type");
  cmd->add_option("--limit", f->q.limit, "At most this many (1-1000)")->check(CLI::Range(1, 1000));
  cmd->add_option("--cursor", f->q.cursor, "Continue after this job id (from a previous page)");
  cmd->add_option("--workflow", f->workflow, "Only the steps of this workflow (w-N)");
  cmd->add_flag("--json", f->json_out, "Print a JSON array of jobs");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      if (!f->workflow.empty()) {
        auto jobs = workflow_jobs(**backend, f->workflow, f->q);
        if (!jobs) return ctx.fail(jobs.error());
        if (f->json_out) {
          print_json(std::cout, *jobs);
          return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& j : *jobs)
          rows.push_back({j["id"], j["workflow"]["id"], j["workflow"]["step"], j["type"],
                          j["status"], std::to_string(j.value("attempt", 0))});
        print_table(std::cout, {"ID", "WORKFLOW", "STEP", "TYPE", "STATUS", "ATTEMPT"}, rows);
        return 0;
      }
      auto page = (*backend)->list(f->q);
      if (!page) return ctx.fail(page.error());
      if (f->json_out) {
        print_json(std::cout, (*page)["jobs"]);
        return 0;
      }
      print_jobs(std::cout, (*page)["jobs"]);
      if ((*page)["next_cursor"].is_string())
        std::cout << "(more: --cursor " << (*page)["next_cursor"].get<std::string>() << ")\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
