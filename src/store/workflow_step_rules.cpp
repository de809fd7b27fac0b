#include "store/workflow_step_rules.h"

namespace hypersdk::store::detail {

core::StepState step_state(const std::string& status, bool skipped) {
  switch (core::parse_job_status(status).value_or(core::JobStatus::waiting)) {
    case core::JobStatus::succeeded:
      return core::StepState::succeeded;
    case core::JobStatus::failed:
      return core::StepState::failed;
    case core::JobStatus::cancelled:
      return core::StepState::cancelled;
    case core::JobStatus::upstream_failed:
      return skipped ? core::StepState::skipped : core::StepState::upstream_failed;
    default:
      return core::StepState::pending;
  }
}

bool decides_early(core::StepState up, const std::string& rule) {
  const bool failed = up == core::StepState::failed || up == core::StepState::cancelled ||
                      up == core::StepState::upstream_failed;
  return failed && rule != "all_done";
}

std::string payload_with_inputs(const std::string& type, const std::string& payload,
                                const nlohmann::json& inputs, const nlohmann::json& upstreams) {
  nlohmann::json p = nlohmann::json::parse(payload, nullptr, false);
  if (!p.is_object()) p = nlohmann::json::object();
  p["inputs"] = inputs;
  p["upstreams"] = upstreams;
  if (type == "exec") {
    nlohmann::json& env = p["env"];
    if (!env.is_object()) env = nlohmann::json::object();
    for (const auto& [step, result] : inputs.items())
      env[core::step_input_env_name(step)] = result.dump();
    env["HYPERSDK_INPUTS"] = inputs.dump();
  }
  return p.dump();
}

}  // namespace hypersdk::store::detail
