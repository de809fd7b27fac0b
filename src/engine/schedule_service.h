// The operations a client may perform on schedules, shared by the HTTP API and the CLI's local
// mode: define (with validation), read, pause/resume, delete, and run now — an emergency run
// bypasses windows, holidays and overlap and is audited.
// Thread safety: safe from any thread (the store is; the calendars are read-only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/clock.h"
#include "engine/job_service.h"
#include "engine/schedule_runs.h"
#include "store/store.h"

namespace hypersdk::engine {

class ScheduleService {
 public:
  // `admission` decides which job types a schedule may enqueue (exec must be enabled and its
  // payload valid) and holds the holiday calendars; `on_change` runs after each successful
  // change (wakes the scheduler and the worker pool when they are in this process).
  // `runs` checks workflow schedules' templates (null: a workflow schedule is refused).
  ScheduleService(store::Store& store, const Clock& clock, AdmissionPolicy admission,
                  std::function<void()> on_change = {}, ScheduleRuns* runs = nullptr);

  std::shared_ptr<const core::HolidayCalendars> calendars() const {
    return admission_.holidays->snapshot();
  }
  const AdmissionPolicy& admission() const { return admission_; }
  // What a create starts from: the default zone and retry policy of the config.
  core::ScheduleSpec defaults() const;
  const Clock& clock() const { return clock_; }

  // Validates (core::validate_schedule, known holiday calendars, the job type's admission)
  // and stores. Errors: invalid (nothing written), conflict (name taken).
  Result<core::Schedule> create(core::ScheduleSpec spec);
  // Replaces the definition of `name` with `spec` (already merged by the caller). A change of
  // cron, zone or DST policy restarts the schedule from now (no catch-up of the old timing).
  Result<core::Schedule> update(const std::string& name, core::ScheduleSpec spec);
  Result<core::Schedule> get(const std::string& name) { return store_.schedule_get(name); }
  Result<std::vector<core::Schedule>> list() { return store_.schedule_list(); }
  Result<std::vector<core::Schedule>> page(const store::ScheduleFilter& filter) {
    return store_.schedule_page(filter);
  }
  Status remove(const std::string& name);
  Result<core::Schedule> pause(const std::string& name);
  Result<core::Schedule> resume(const std::string& name);
  Result<std::vector<store::Occurrence>> occurrences(const std::string& name, int limit);
  // Runs the schedule's job now. Without emergency the window and overlap policy apply; with
  // it `reason` is required (invalid otherwise) and `actor` and `reason` are audited.
  Result<core::Job> run(const std::string& name, bool emergency, const std::string& actor,
                        const std::string& reason);
  Result<std::vector<store::AuditEntry>> audit(int limit) { return store_.audit_list(limit); }

 private:
  Status validate(core::ScheduleSpec& spec) const;
  template <typename T>
  T changed(T r) {
    if (r.ok() && on_change_) on_change_();
    return r;
  }

  store::Store& store_;
  const Clock& clock_;
  const AdmissionPolicy admission_;
  const std::function<void()> on_change_;
  ScheduleRuns* const runs_;
};

// Who is acting, for the audit log, when the CLI works on the database: "$USER (uid N)".
std::string local_actor();

}  // namespace hypersdk::engine
