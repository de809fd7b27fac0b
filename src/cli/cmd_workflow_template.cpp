// hypersdk workflow template create | list | show | delete: named workflow definitions with
// {{param}} placeholders, submitted with `workflow submit --template NAME --param k=v`.
#include <iostream>

#include "cli/cmd_workflow.h"
#include "cli/output.h"
#include "cli/yaml_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

std::string params_text(const json& t) {
  std::string out;
  for (const auto& p : t["params"]) {
    out += (out.empty() ? "" : " ") + p["name"].get<std::string>();
    if (p["default"].is_string()) out += "=" + p["default"].get<std::string>();
  }
  return out.empty() ? "-" : out;
}

}  // namespace

void add_workflow_template_command(CLI::App& workflow, Context& ctx) {
  struct Flags {
    std::string file, name;
    bool replace = false;
    bool json_out = false;
  };
  auto f = std::make_shared<Flags>();
  auto* tpl = workflow.add_subcommand("template", "Named, parameterised workflow definitions");
  tpl->require_subcommand(1);

  auto* create = tpl->add_subcommand("create", "Store a workflow definition as a template");
  create->add_option("--file", f->file, "Workflow definition (YAML or JSON)")->required();
  create->add_option("--name", f->name, "Template name (default: the definition's name)");
  create->add_flag("--replace", f->replace, "Replace a template of that name");
  create->add_flag("--json", f->json_out, "Print JSON");
  create->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto doc = read_json_or_yaml_file(f->file);
      if (!doc) return ctx.fail(doc.error());
      std::string name = f->name;
      if (name.empty() && doc->is_object() && doc->contains("name") && (*doc)["name"].is_string())
        name = (*doc)["name"].get<std::string>();
      if (name.empty())
        return ctx.fail(
            invalid_error("the template needs a name: --name or \"name\" in " + f->file));
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->workflow_template_put(name, *doc, f->replace);
      if (!r) return ctx.fail(r.error());
      if (f->json_out)
        print_json(std::cout, *r);
      else
        std::cout << name << "\n";
      return 0;
    };
  });

  auto* list = tpl->add_subcommand("list", "List the templates, the built-in ones included");
  list->add_flag("--json", f->json_out, "Print JSON");
  list->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->workflow_template_list();
      if (!r) return ctx.fail(r.error());
      if (f->json_out) {
        print_json(std::cout, (*r)["templates"]);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : (*r)["templates"])
        rows.push_back({t["name"], t["builtin"].get<bool>() ? "built-in" : "stored",
                        std::to_string(t["definition"]["steps"].size()), params_text(t)});
      print_table(std::cout, {"NAME", "KIND", "STEPS", "PARAMS"}, rows);
      return 0;
    };
  });

  auto* show = tpl->add_subcommand("show", "Show a template's definition and parameters");
  show->add_option("name", f->name, "Template name")->required();
  show->add_flag("--json", f->json_out, "Print JSON");
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->workflow_template_get(f->name);
      if (!r) return ctx.fail(r.error());
      if (f->json_out) {
        print_json(std::cout, *r);
        return 0;
      }
      std::cout << (*r)["name"].get<std::string>()
                << ((*r)["builtin"].get<bool>() ? " (built-in)" : "")
                << "  params: " << params_text(*r) << "\n";
      std::vector<std::vector<std::string>> rows;
      for (const auto& s : (*r)["definition"]["steps"]) {
        std::string deps;
        if (s.contains("depends_on"))
          for (const auto& d : s["depends_on"])
            deps += (deps.empty() ? "" : ", ") + d.get<std::string>();
        rows.push_back({s.value("name", "?"), s.value("type", "-"), deps.empty() ? "-" : deps,
                        s.value("trigger_rule", "all_success")});
      }
      print_table(std::cout, {"STEP", "TYPE", "DEPENDS_ON", "TRIGGER"}, rows);
      return 0;
    };
  });

  auto* del = tpl->add_subcommand("delete", "Delete a stored template");
  del->add_option("name", f->name, "Template name")->required();
  del->add_flag("--json", f->json_out, "Print JSON");
  del->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto backend = ctx.backend();
      if (!backend) return ctx.fail(backend.error());
      auto r = (*backend)->workflow_template_delete(f->name);
      if (!r) return ctx.fail(r.error());
      if (f->json_out)
        print_json(std::cout, *r);
      else
        std::cout << f->name << ": deleted\n";
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
