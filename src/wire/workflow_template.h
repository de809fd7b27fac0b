// Workflow templates (issue 9): named workflow requests whose strings hold "{{param}}"
// placeholders. A template's parameters are every placeholder in its "steps" and "defaults"
// plus the keys of its "params" object, whose values are the defaults; a parameter without a
// default must be given at submit. Shared by the API and the CLI's local mode.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/job.h"
#include "store/workflow_types.h"

namespace hypersdk::wire {

struct TemplateParam {
  std::string name;
  std::optional<std::string> default_value;  // nullopt: required
};

// 1..64 of [A-Za-z0-9_.-]. Errors: invalid naming the rule.
Status check_template_name(const std::string& name);

// The parameters of a template definition, by name.
std::vector<TemplateParam> template_params(const nlohmann::json& definition);

// A definition a template may hold: a workflow request (wire/workflow_json.h) that parses and
// forms a valid DAG when every parameter has a value. Job types are checked at submit.
Status check_template_definition(const nlohmann::json& definition,
                                 const core::RetryPolicy& retry_defaults);

// The workflow request to submit for template `t` with `params`: its "params" hold every
// parameter's value (given, else the default) and its "name" is the template's unless the
// definition names the workflow. Errors (invalid, nothing to submit): a parameter the template
// does not take, or one without a value, each by name.
Result<nlohmann::json> instantiate_template(const store::WorkflowTemplate& t,
                                            const std::map<std::string, std::string>& params);

// A submit request either is a workflow definition or names a template:
// {"template": NAME, "params": {k: v}}. Returns the workflow request to parse: the definition
// unchanged, or the template instantiated with the request's params overridden by `params`.
using TemplateLookup = std::function<Result<store::WorkflowTemplate>(const std::string&)>;
Result<nlohmann::json> resolve_workflow_request(const nlohmann::json& body,
                                                const std::map<std::string, std::string>& params,
                                                const TemplateLookup& lookup);

// {"name", "builtin", "params": [{"name", "default"}], "definition", "created_at", ...}
nlohmann::json template_to_json(const store::WorkflowTemplate& t);

}  // namespace hypersdk::wire
