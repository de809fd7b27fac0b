// The JSON face of workflows, shared by the API and the CLI: parsing a submit request into a
// WorkflowSpec and rendering workflows with their steps.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/workflow_dag.h"
#include "store/workflow_types.h"

namespace hypersdk::wire {

// {"name": "nightly", "params": {"vm": "web-1"}, "defaults": {<job fields>},
//  "steps": [{"name": "export", "depends_on": ["snapshot"], "trigger_rule": "all_success",
//             <job fields: type, payload, priority, timeout, retry, window, ...>}, ...]}
// Job fields are those of parse_job_request; a step's own fields override "defaults".
// "{{name}}" in any string of a step is replaced by a parameter: `params` (e.g. --param)
// override the request's "params"; a placeholder without a value is an error.
// Unknown keys are an error. Returns the spec; the DAG is checked by core::validate_workflow.
Result<core::WorkflowSpec> parse_workflow_request(const nlohmann::json& body,
                                                  const std::map<std::string, std::string>& params,
                                                  const core::RetryPolicy& retry_defaults,
                                                  nlohmann::json* params_used = nullptr);

// The workflow with every step (the default answer), or with `steps` left out (step_counts
// still there): `?steps=summary`, for clients that only follow the workflow's status; a
// 1,000-step workflow's full answer is ~800 KB.
nlohmann::json workflow_to_json(const store::Workflow& w, bool with_steps = true);

}  // namespace hypersdk::wire
