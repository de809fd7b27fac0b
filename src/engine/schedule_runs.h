// What one occurrence of a schedule starts, worked out at fire time (DESIGN §5 "Targets", §7):
//   - a target glob ("prod-web-*": it holds * ? or [) is matched against the inventory of the
//     schedule's provider (providers::Provider::list): one run per matching VM, none other;
//   - a workflow schedule (--workflow NAME: type "workflow", payload {"workflow": NAME,
//     "params": {k: v}}) starts a run of that template with those params, plus `provider` and
//     `vm` (the schedule's target, or each matching VM) when the template takes them and they
//     were not given;
//   - otherwise the schedule's one job (no expansion).
// Provider-neutral: every provider of the registry (local, libvirt, vsphere) is listed alike.
// Thread safety: safe from any thread (the registry, JobService and the store are).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/schedule.h"
#include "engine/job_service.h"
#include "engine/workflow_service.h"
#include "providers/registry.h"
#include "store/workflow_types.h"

namespace hypersdk::engine {

// A target naming several VMs: it holds a glob character (* ? [).
bool is_target_glob(std::string_view target);

// A workflow schedule's template and params, from its payload. Errors: invalid.
struct ScheduledWorkflow {
  std::string name;
  std::map<std::string, std::string> params;
};
Result<ScheduledWorkflow> scheduled_workflow(const core::ScheduleSpec& spec);

// How a workflow template's request is read, supplied by the caller (the CLI's serve and local
// mode, from wire/workflow_template.h): the engine does not parse requests (DESIGN §2: only cli
// and api depend on wire).
struct TemplateRun {
  core::WorkflowSpec spec;
  std::string params_used;  // JSON object: every parameter's value, given or default
};
struct TemplateReader {
  // The names of the template's parameters.
  std::function<std::vector<std::string>(const store::WorkflowTemplate&)> params;
  // The template instantiated with `params` and parsed. Errors: invalid naming the parameter.
  std::function<Result<TemplateRun>(const store::WorkflowTemplate&,
                                    const std::map<std::string, std::string>& params,
                                    const core::RetryPolicy& retry_defaults)>
      run;
};

struct OccurrenceRuns {
  std::vector<core::JobSpec> jobs;  // a target glob expanded (empty for a workflow schedule)
  std::vector<store::WorkflowSubmit> workflows;
  std::string none_reason;  // when both are empty: why (no VM matched the glob)
};

class ScheduleRuns {
 public:
  // `providers` may be null: a target glob then fails its occurrence, naming the cause.
  // `templates` empty: a workflow schedule fails (internal), naming the cause.
  ScheduleRuns(JobService& jobs, std::shared_ptr<providers::ProviderRegistry> providers,
               TemplateReader templates)
      : jobs_(jobs),
        workflows_(jobs),
        providers_(std::move(providers)),
        templates_(std::move(templates)) {}

  // Whether an occurrence of `spec` needs expand (a workflow schedule or a target glob).
  static bool expands(const core::ScheduleSpec& spec);

  // At create/update of a workflow schedule: the template exists, instantiates with the params
  // (a stand-in VM name for a glob target) and its steps pass admission. Errors: not_found
  // (no such template), invalid naming the parameter or step. Other schedules: Ok.
  Status check(const core::ScheduleSpec& spec);

  // REQUIRES: expands(s.spec). `base`: the job job_for_schedule built for this occurrence
  // (labels, idempotency key, window). Errors: the provider's inventory could not be read (its
  // class, naming the provider), the template is gone or no longer instantiates.
  Result<OccurrenceRuns> expand(const core::Schedule& s, const core::JobSpec& base);

 private:
  Result<std::vector<std::string>> matching_vms(const core::ScheduleSpec& spec);
  Result<store::WorkflowSubmit> workflow_run(const core::ScheduleSpec& spec, const std::string& vm,
                                             const core::JobSpec* base);

  JobService& jobs_;
  WorkflowService workflows_;  // template lookup
  const std::shared_ptr<providers::ProviderRegistry> providers_;
  const TemplateReader templates_;
};

}  // namespace hypersdk::engine
