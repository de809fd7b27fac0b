#include "engine/schedule_service.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "engine/schedule_jobs.h"

namespace hypersdk::engine {

ScheduleService::ScheduleService(store::Store& store, const Clock& clock, AdmissionPolicy admission,
                                 std::function<void()> on_change, ScheduleRuns* runs)
    : store_(store),
      clock_(clock),
      admission_(std::move(admission)),
      on_change_(std::move(on_change)),
      runs_(runs) {}

core::ScheduleSpec ScheduleService::defaults() const {
  core::ScheduleSpec s;
  s.timezone = admission_.default_timezone;
  s.retry = admission_.default_retry;
  return s;
}

Status ScheduleService::validate(core::ScheduleSpec& spec) const {
  if (Status s = core::validate_schedule(spec); !s.ok()) return s;
  if (!spec.holidays.empty() && admission_.holidays_error) return *admission_.holidays_error;
  const auto book = calendars();
  for (const auto& name : spec.holidays) {
    core::JobWindow probe;
    probe.holiday_names = {name};
    if (Status s = core::resolve_holidays(probe, *book, {}); !s.ok()) return s;
  }
  core::Schedule probe;
  probe.spec = spec;
  const core::JobSpec job = job_for_schedule(probe, *book, 0, "cron").spec;
  if (Status s = core::validate_spec(job); !s.ok()) return s;
  // The same admission rule as submit: a schedule of an unknown type would only fail later.
  // Except "backup" (--type full|incremental, the spec's own example): backup schedules may be
  // defined ahead of the provider that runs them.
  if (spec.job_type == "workflow") {
    // Its steps' types, payloads and windows are checked as a workflow submit would.
    if (!runs_) return invalid_error("workflow schedules cannot be checked here");
    return runs_->check(spec);
  }
  if (spec.job_type != "backup")
    if (Status s = check_job_type(admission_, spec.job_type); !s.ok()) return s;
  if (spec.job_type == "exec")
    if (Status s = validate_exec_payload(spec.payload, admission_.exec); !s.ok()) return s;
  return Status::Ok();
}

Result<core::Schedule> ScheduleService::create(core::ScheduleSpec spec) {
  if (Status s = validate(spec); !s.ok()) return s.error();
  return changed(store_.schedule_create(spec, clock_.now_ms()));
}

Result<core::Schedule> ScheduleService::update(const std::string& name, core::ScheduleSpec spec) {
  auto current = store_.schedule_get(name);
  if (!current) return current.error();
  if (Status s = validate(spec); !s.ok()) return s.error();
  const core::ScheduleSpec& old = current->spec;
  const bool retimed = old.cron != spec.cron || old.timezone != spec.timezone ||
                       old.dst_gap != spec.dst_gap || old.dst_fold != spec.dst_fold ||
                       (!old.enabled && spec.enabled);
  return changed(store_.schedule_update(name, spec, retimed, clock_.now_ms()));
}

Status ScheduleService::remove(const std::string& name) {
  Status s = store_.schedule_delete(name);
  if (s.ok() && on_change_) on_change_();
  return s;
}

Result<core::Schedule> ScheduleService::pause(const std::string& name) {
  return changed(store_.schedule_set_paused(name, true, clock_.now_ms()));
}

Result<core::Schedule> ScheduleService::resume(const std::string& name) {
  return changed(store_.schedule_set_paused(name, false, clock_.now_ms()));
}

Result<std::vector<store::Occurrence>> ScheduleService::occurrences(const std::string& name,
                                                                    int limit) {
  auto s = store_.schedule_get(name);
  if (!s) return s.error();
  return store_.schedule_occurrences(s->id, limit);
}

Result<core::Job> ScheduleService::run(const std::string& name, bool emergency,
                                       const std::string& actor, const std::string& reason) {
  if (emergency && reason.empty())
    return make_error(ErrorClass::invalid,
                      "an emergency run needs --reason TEXT: it is written to the audit log");
  auto s = store_.schedule_get(name);
  if (!s) return s.error();
  if (s->spec.job_type == "workflow")
    return make_error(ErrorClass::invalid,
                      "schedule \"" + name +
                          "\" runs a workflow template; `schedule run` starts single jobs only "
                          "(use `workflow submit --template` for a run now)");
  const core::TimeMs now = clock_.now_ms();
  store::RunRequest req;
  req.name = name;
  req.job = job_for_schedule(*s, *calendars(), now, emergency ? "emergency" : "manual").spec;
  req.emergency = emergency;
  req.actor = actor.empty() ? local_actor() : actor;
  req.reason = reason;
  return changed(store_.schedule_run(req, now));
}

std::string local_actor() {
  const uid_t uid = getuid();
  std::string user;
  if (const char* u = std::getenv("USER"); u && *u) user = u;
  if (user.empty()) {
    if (const passwd* pw = getpwuid(uid); pw && pw->pw_name) user = pw->pw_name;
  }
  if (user.empty()) user = "unknown";
  return user + " (uid " + std::to_string(uid) + ")";
}

}  // namespace hypersdk::engine
