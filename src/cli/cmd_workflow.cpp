// hypersdk workflow submit | list | show | retry | cancel | template: DAGs of steps
// (DESIGN §7).
#include <iostream>
#include <map>

#include "cli/cmd_workflow.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/yaml_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

std::string text_or(const json& j, const char* key, const std::string& fallback = "-") {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

std::string step_summary(const json& w) {
  std::string out;
  for (const auto& [state, n] : w["step_counts"].items())
    out += (out.empty() ? "" : " ") + state + "=" + std::to_string(n.get<int>());
  return out;
}

// The steps in topological order (as the store returns them), each with its state, attempt,
// duration and error, and its edges drawn as the upstreams it waits for.
void print_workflow(std::ostream& out, const json& w) {
  out << w["id"].get<std::string>() << "  " << w["name"].get<std::string>() << "  "
      << w["status"].get<std::string>() << "  (run " << w["runs"].get<int>() << ", "
      << step_summary(w) << ")\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : w["steps"]) {
    std::string edges;
    for (const auto& d : s["depends_on"])
      edges += (edges.empty() ? "" : ", ") + d.get<std::string>();
    edges = edges.empty() ? "(start)" : "<- " + edges;
    if (s["trigger_rule"] != "all_success")
      edges += " [" + s["trigger_rule"].get<std::string>() + "]";
    std::string duration = "-";
    if (s.contains("duration_ms"))
      duration = std::to_string(s["duration_ms"].get<std::int64_t>() / 1000.0).substr(0, 6) + "s";
    std::string err = s["error"].is_object() ? s["error"]["message"].get<std::string>() : "";
    rows.push_back({s["name"], s["state"], std::to_string(s["attempt"].get<int>()), duration,
                    s["job_id"], edges, err});
  }
  print_table(out, {"STEP", "STATE", "ATTEMPT", "DURATION", "JOB", "EDGES", "ERROR"}, rows);
}

}  // namespace

void add_workflow_command(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id, file, template_name;
    std::vector<std::string> params;
    int limit = 50;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* wf = app.add_subcommand("workflow", "Workflows: DAGs of steps with dependencies");
  wf->require_subcommand(1);

  auto* submit =
      wf->add_subcommand("submit", "Submit a workflow from a YAML or JSON file or a template");
  auto* file = submit->add_option("--file", f->file, "Workflow definition (YAML or JSON)");
  auto* tpl = submit->add_option("--template", f->template_name, "Template name (e.g. migrate)");
  file->excludes(tpl);
  submit->add_option("--param", f->params, "NAME=VALUE for {{NAME}} in the definition");
  submit->add_flag("--json", f->json_out, "Print JSON");
  submit->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      if (f->file.empty() && f->template_name.empty())
        return ctx.fail(invalid_error("workflow submit needs --file FILE or --template NAME"));
      Result<json> doc = json{{"template", f->template_name}};
      if (f->template_name.empty()) doc = read_json_or_yaml_file(f->file);
      if (!doc) return ctx.fail(doc.error());
      std::map<std::string, std::string> params;
      for (const auto& kv : f->params) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
          return ctx.fail(invalid_error("--param takes NAME=VALUE, got '" + kv + "'"));
        params[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->workflow_submit(*doc, params);
      if (!r) return ctx.fail(r.error());
      if (f->json_out)
        print_json(std::cout, *r);
      else
        std::cout << (*r)["id"].get<std::string>() << "\n";
      return 0;
    };
  });

  auto* list = wf->add_subcommand("list", "List workflows, newest first");
  list->add_option("--limit", f->limit, "At most this many")->check(CLI::Range(1, 1000));
  list->add_flag("--json", f->json_out, "Print JSON");
  list->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->workflow_list(f->limit);
      if (!r) return ctx.fail(r.error());
      if (f->json_out) {
        print_json(std::cout, (*r)["workflows"]);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& w : (*r)["workflows"])
        rows.push_back({w["id"], w["name"], w["status"], std::to_string(w["runs"].get<int>()),
                        short_time(w["created_at"]), step_summary(w)});
      print_table(std::cout, {"ID", "NAME", "STATUS", "RUNS", "CREATED", "STEPS"}, rows);
      return 0;
    };
  });

  auto one = [&ctx, f](const char* verb, auto call) {
    return [&ctx, f, verb, call] {
      ctx.action = [&ctx, f, verb, call]() -> int {
        auto backend = ctx.backend();
        if (!backend) return ctx.fail(backend.error());
        auto r = call(**backend, f->id);
        if (!r) return ctx.fail(r.error());
        if (f->json_out)
          print_json(std::cout, *r);
        else if (std::string(verb) == "show")
          print_workflow(std::cout, *r);
        else
          std::cout << f->id << ": " << verb << ", " << text_or(*r, "status") << "\n";
        return 0;
      };
    };
  };
  auto* show = wf->add_subcommand("show", "Show a workflow's steps in topological order");
  show->add_option("--id", f->id, "Workflow id (w-N)")->required();
  show->add_flag("--json", f->json_out, "Print JSON");
  show->callback(one("show", [](Backend& b, const std::string& id) { return b.workflow_get(id); }));
  auto* retry = wf->add_subcommand(
      "retry", "Run a failed or cancelled workflow again from the steps that did not succeed");
  retry->add_option("--id", f->id, "Workflow id (w-N)")->required();
  retry->add_flag("--json", f->json_out, "Print JSON");
  retry->callback(
      one("retried", [](Backend& b, const std::string& id) { return b.workflow_retry(id); }));
  auto* cancel = wf->add_subcommand("cancel", "Cancel a running workflow");
  cancel->add_option("--id", f->id, "Workflow id (w-N)")->required();
  cancel->add_flag("--json", f->json_out, "Print JSON");
  cancel->callback(
      one("cancelled", [](Backend& b, const std::string& id) { return b.workflow_cancel(id); }));
  add_workflow_template_command(*wf, ctx);
}

}  // namespace hypersdk::cli
