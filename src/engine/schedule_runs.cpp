#include "engine/schedule_runs.h"

#include <nlohmann/json.hpp>

namespace hypersdk::engine {
using nlohmann::json;

namespace {

// The stand-in VM a glob target's template is checked with at create (the check is that the
// template takes `vm` and instantiates; any name will do).
constexpr const char* kProbeVm = "vm";

// The schedule's labels (schedule, trigger, nominal fire) beside a step's own.
std::string merged_labels(const std::string& step_labels, const std::string& schedule_labels) {
  json out = json::parse(step_labels, nullptr, false);
  if (!out.is_object()) out = json::object();
  json add = json::parse(schedule_labels, nullptr, false);
  if (add.is_object())
    for (const auto& [k, v] : add.items())
      if (!out.contains(k)) out[k] = v;
  return out.dump();
}

}  // namespace

bool is_target_glob(std::string_view target) {
  return target.find_first_of("*?[") != std::string_view::npos;
}

Result<ScheduledWorkflow> scheduled_workflow(const core::ScheduleSpec& spec) {
  const json p = json::parse(spec.payload, nullptr, false);
  if (!p.is_object() || !p.contains("workflow") || !p["workflow"].is_string() ||
      p["workflow"].get<std::string>().empty())
    return invalid_error("schedule \"" + spec.name +
                         "\" is of type workflow but names no workflow template (--workflow)");
  ScheduledWorkflow out;
  out.name = p["workflow"].get<std::string>();
  if (p.contains("params") && p["params"].is_object())
    for (const auto& [k, v] : p["params"].items())
      out.params[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

bool ScheduleRuns::expands(const core::ScheduleSpec& spec) {
  return spec.job_type == "workflow" || is_target_glob(spec.target);
}

Result<std::vector<std::string>> ScheduleRuns::matching_vms(const core::ScheduleSpec& spec) {
  if (!providers_)
    return make_error(ErrorClass::unavailable,
                      "target \"" + spec.target + "\" is a glob and no providers are configured");
  std::string name = spec.provider;
  if (name.empty()) {
    // The spec's own example names no provider: with exactly one configured, it is that one.
    const auto all = providers_->snapshot();
    if (all->size() != 1)
      return invalid_error("target \"" + spec.target +
                           "\" is a glob: the schedule needs --provider to match it against (" +
                           std::to_string(all->size()) + " providers are configured)");
    name = all->begin()->first;
  }
  auto provider = providers_->find(name);
  if (!provider) return provider.error();
  auto vms = (*provider)->list(spec.target);
  if (!vms)
    return make_error(vms.error().cls, "provider \"" + name + "\": listing VMs matching \"" +
                                           spec.target + "\" failed: " + vms.error().message);
  std::vector<std::string> out;
  for (const auto& vm : *vms)
    if (providers::name_matches(spec.target, vm.name)) out.push_back(vm.name);
  return out;
}

Result<store::WorkflowSubmit> ScheduleRuns::workflow_run(const core::ScheduleSpec& spec,
                                                         const std::string& vm,
                                                         const core::JobSpec* base) {
  auto wanted = scheduled_workflow(spec);
  if (!wanted) return wanted.error();
  const std::string name = wanted->name;
  auto t = workflows_.template_get(name);
  if (!t) return t.error();
  if (!templates_.params || !templates_.run)
    return make_error(ErrorClass::internal,
                      "workflow template \"" + name + "\": no template reader is configured");
  auto params = wanted->params;
  // provider and vm come from the schedule unless given, where the template takes them.
  for (const auto& p : templates_.params(*t)) {
    if (p == "vm" && !vm.empty() && !params.count("vm")) params["vm"] = vm;
    if (p == "provider" && !spec.provider.empty() && !params.count("provider"))
      params["provider"] = spec.provider;
  }
  const json body{{"template", name}, {"params", params}};
  auto run = templates_.run(*t, params, jobs_.policy().default_retry);
  if (!run)
    return make_error(run.error().cls,
                      "workflow template \"" + name + "\": " + run.error().message);
  if (base)
    for (auto& step : run->spec.steps) {
      step.spec.labels = merged_labels(step.spec.labels, base->labels);
      // The schedule's window holds for every step that has none of its own.
      if (!step.spec.window && base->window) step.spec.window = base->window;
    }
  return admit_workflow(jobs_, std::move(run->spec), body.dump(), std::move(run->params_used));
}

Status ScheduleRuns::check(const core::ScheduleSpec& spec) {
  if (spec.job_type != "workflow") return Status::Ok();
  const std::string vm = is_target_glob(spec.target) ? kProbeVm : spec.target;
  auto r = workflow_run(spec, vm, nullptr);
  if (!r) return r.error();
  return Status::Ok();
}

Result<OccurrenceRuns> ScheduleRuns::expand(const core::Schedule& s, const core::JobSpec& base) {
  const core::ScheduleSpec& spec = s.spec;
  OccurrenceRuns out;
  std::vector<std::string> vms;
  if (is_target_glob(spec.target)) {
    auto found = matching_vms(spec);
    if (!found) return found.error();
    vms = std::move(*found);
    if (vms.empty()) {
      out.none_reason = "no VM of provider " +
                        (spec.provider.empty() ? "(default)" : spec.provider) +
                        " matches target \"" + spec.target + "\"";
      return out;
    }
  } else {
    vms.push_back(spec.target);
  }
  for (const auto& vm : vms) {
    if (spec.job_type == "workflow") {
      auto wf = workflow_run(spec, vm, &base);
      if (!wf) return wf.error();
      out.workflows.push_back(std::move(*wf));
    } else {
      core::JobSpec job = base;
      job.target = vm;
      // One occurrence, several jobs: each needs its own key.
      if (!job.idempotency_key.empty()) job.idempotency_key += ":" + vm;
      out.jobs.push_back(std::move(job));
    }
  }
  return out;
}

}  // namespace hypersdk::engine
