#include "engine/job_service.h"

#include "engine/job_events_log.h"
#include "engine/provider_jobs.h"

namespace hypersdk::engine {

Status check_job_type(const AdmissionPolicy& policy, const std::string& type) {
  if (!policy.known_types.empty() && !policy.known_types.count(type)) {
    std::string known;
    for (const auto& t : policy.known_types) known += (known.empty() ? "" : ", ") + t;
    return make_error(ErrorClass::invalid,
                      "unknown job type '" + type + "' (known types: " + known + ")");
  }
  if (type == "exec" && !policy.exec_enabled)
    return make_error(ErrorClass::invalid,
                      "exec jobs are disabled: set jobs.exec.enabled: true in the config "
                      "(or HYPERSDK_JOBS__EXEC__ENABLED=true)");
  return Status::Ok();
}

Result<core::Job> JobService::submit(const core::JobSpec& spec) {
  auto admitted = admit(spec);
  if (!admitted) return admitted.error();
  return changed(logged(store_.job_enqueue(*admitted, clock_.now_ms()), "queued"));
}

Result<core::JobSpec> JobService::admit(const core::JobSpec& submitted) const {
  if (Status s = core::validate_spec(submitted); !s.ok()) return s.error();
  if (Status s = check_job_type(policy_, submitted.type); !s.ok()) return s.error();
  auto filled = admit_provider_job(submitted);  // payload checks; provider/target from it
  if (!filled) return filled.error();
  const core::JobSpec& spec = *filled;
  if (spec.type == "exec")
    if (Status s = validate_exec_payload(spec.payload, policy_.exec); !s.ok()) return s.error();
  const core::TimeMs now = clock_.now_ms();
  if (spec.window) {
    // The window's zone defaults from config, and holiday names become dates here, so the
    // store can judge the window on its own.
    core::JobSpec resolved = spec;
    if (resolved.window->timezone.empty()) resolved.window->timezone = policy_.default_timezone;
    if (!resolved.window->holiday_names.empty() && policy_.holidays_error)
      return *policy_.holidays_error;
    if (Status s = core::resolve_holidays(
            *resolved.window, *policy_.holidays->snapshot(),
            date::floor<std::chrono::seconds>(
                date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now))));
        !s.ok())
      return s.error();
    return resolved;
  }
  return *filled;
}

Result<core::Job> JobService::cancel(core::JobId id) {
  auto r = changed(store_.job_cancel(id, clock_.now_ms()));
  if (r) log_job_cancel(*r);
  return r;
}

Result<core::Job> JobService::retry(core::JobId id) {
  return changed(logged(store_.job_retry(id, clock_.now_ms()), "retried"));
}

Result<core::Job> JobService::dlq_replay(core::JobId id) {
  return changed(logged(store_.dlq_replay(id, clock_.now_ms()), "replayed"));
}

Result<core::Job> JobService::logged(Result<core::Job> r, std::string_view action) {
  if (r) log_job_admitted(*r, action);
  return r;
}

}  // namespace hypersdk::engine
