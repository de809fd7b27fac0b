#include "engine/workflow_service.h"

namespace hypersdk::engine {

Result<store::WorkflowSubmit> admit_workflow(const JobService& jobs, core::WorkflowSpec spec,
                                             std::string definition, std::string params) {
  if (Status s = core::validate_workflow(spec, jobs.policy().known_types); !s.ok())
    return s.error();
  for (auto& step : spec.steps) {
    auto admitted = jobs.admit(step.spec);
    if (!admitted) return invalid_error("step '" + step.name + "': " + admitted.error().message);
    step.spec = std::move(*admitted);
  }
  return store::WorkflowSubmit{std::move(spec), std::move(definition), std::move(params)};
}

Result<store::Workflow> WorkflowService::submit(core::WorkflowSpec spec, std::string definition,
                                                std::string params) {
  auto req = admit_workflow(jobs_, std::move(spec), std::move(definition), std::move(params));
  if (!req) return req.error();
  return changed(jobs_.store().workflow_submit(*req, jobs_.now()));
}

Result<store::Workflow> WorkflowService::retry(store::WorkflowId id) {
  return changed(jobs_.store().workflow_retry(id, jobs_.now()));
}

Result<store::Workflow> WorkflowService::cancel(store::WorkflowId id) {
  return changed(jobs_.store().workflow_cancel(id, jobs_.now()));
}

Result<store::WorkflowId> parse_workflow_ref(const std::string& id) {
  if (auto n = store::parse_workflow_id(id)) return *n;
  return invalid_error("'" + id + "' is not a workflow id (expected w-<number>)");
}

}  // namespace hypersdk::engine
