#include "engine/job_service.h"

namespace hypersdk::engine {

Result<core::Job> JobService::submit(const core::JobSpec& spec) {
  if (Status s = core::validate_spec(spec); !s.ok()) return s.error();
  if (!policy_.known_types.empty() && !policy_.known_types.count(spec.type)) {
    std::string known;
    for (const auto& t : policy_.known_types) known += (known.empty() ? "" : ", ") + t;
    return make_error(ErrorClass::invalid,
                      "unknown job type '" + spec.type + "' (known types: " + known + ")");
  }
  if (spec.type == "exec") {
    if (!policy_.exec_enabled)
      return make_error(ErrorClass::invalid,
                        "exec jobs are disabled: set jobs.exec.enabled: true in the config "
                        "(or HYPERSDK_JOBS__EXEC__ENABLED=true)");
    if (Status s = validate_exec_payload(spec.payload, policy_.exec); !s.ok()) return s.error();
  }
  return changed(store_.job_enqueue(spec, clock_.now_ms()));
}

Result<core::Job> JobService::cancel(core::JobId id) {
  return changed(store_.job_cancel(id, clock_.now_ms()));
}

Result<core::Job> JobService::retry(core::JobId id) {
  return changed(store_.job_retry(id, clock_.now_ms()));
}

Result<core::Job> JobService::dlq_replay(core::JobId id) {
  return changed(store_.dlq_replay(id, clock_.now_ms()));
}

}  // namespace hypersdk::engine
