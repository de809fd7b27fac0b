// The operations a client may perform on workflows (DESIGN §7), shared by the HTTP API and
// the CLI's local mode: submit (the DAG checked, then every step admitted as a job would be),
// get, list, retry, cancel. Advancing a workflow needs no service: the store decides the
// dependents of a step in the transaction that completes it.
// Thread safety: safe from any thread (the store and JobService are).
#pragma once

#include <vector>

#include "core/workflow_dag.h"
#include "engine/job_service.h"
#include "store/workflow_types.h"

namespace hypersdk::engine {

// The checks of a workflow submit, without writing it: the DAG and job types, then each step
// admitted as a job would be. Errors: invalid, naming the step. Also used by schedules that
// fire workflow runs (engine/schedule_runs.h), which write them in the fire's transaction.
Result<store::WorkflowSubmit> admit_workflow(const JobService& jobs, core::WorkflowSpec spec,
                                             std::string definition, std::string params);

class WorkflowService {
 public:
  explicit WorkflowService(JobService& jobs) : jobs_(jobs) {}

  // Errors: invalid (the DAG, a step's type, payload or window), naming the step.
  Result<store::Workflow> submit(core::WorkflowSpec spec, std::string definition,
                                 std::string params);
  Result<store::Workflow> get(store::WorkflowId id) { return jobs_.store().workflow_get(id); }
  Result<std::vector<store::Workflow>> list(int limit) {
    return jobs_.store().workflow_list(limit);
  }
  Result<store::Workflow> retry(store::WorkflowId id);
  Result<store::Workflow> cancel(store::WorkflowId id);

  // Templates (engine/workflow_templates.cpp): the built-in ones first, then the stored ones.
  // REQUIRES for template_put: the definition was checked (wire::check_template_definition).
  // Errors: not_found; conflict (a built-in name, or the name is taken and not replace).
  Result<store::WorkflowTemplate> template_get(const std::string& name);
  Result<std::vector<store::WorkflowTemplate>> template_list();
  Result<store::WorkflowTemplate> template_put(const store::WorkflowTemplate& t, bool replace);
  Status template_delete(const std::string& name);

 private:
  Result<store::Workflow> changed(Result<store::Workflow> r) {
    if (r.ok()) jobs_.notify_change();
    return r;
  }
  JobService& jobs_;
};

// The templates shipped with the binary: `migrate` (snapshot -> export -> convert -> upload ->
// verify, then cleanup removes the snapshot whatever happened).
const std::vector<store::WorkflowTemplate>& builtin_workflow_templates();

// Parses "w-7" or "7"; error class invalid otherwise.
Result<store::WorkflowId> parse_workflow_ref(const std::string& id);

}  // namespace hypersdk::engine
