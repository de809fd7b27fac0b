#include "cli/template_reader.h"

#include "wire/workflow_json.h"
#include "wire/workflow_template.h"

namespace hypersdk::cli {

engine::TemplateReader template_reader() {
  engine::TemplateReader r;
  r.params = [](const store::WorkflowTemplate& t) {
    std::vector<std::string> names;
    for (const auto& p : wire::template_params(nlohmann::json::parse(t.definition, nullptr, false)))
      names.push_back(p.name);
    return names;
  };
  r.run = [](const store::WorkflowTemplate& t, const std::map<std::string, std::string>& params,
             const core::RetryPolicy& retry_defaults) -> Result<engine::TemplateRun> {
    auto request = wire::instantiate_template(t, params);
    if (!request) return request.error();
    nlohmann::json used;
    auto spec = wire::parse_workflow_request(*request, {}, retry_defaults, &used);
    if (!spec) return spec.error();
    return engine::TemplateRun{std::move(*spec), used.dump()};
  };
  return r;
}

}  // namespace hypersdk::cli
