// The operations a client may perform on jobs, shared by the HTTP API and the CLI's local
// mode: submit (with admission checks), read, cancel, retry and the dead-letter queue.
// Wakes the worker pool, when there is one in this process, after each change.
// Thread safety: safe from any thread (the store is).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "engine/clock.h"
#include "engine/exec_job.h"
#include "engine/holiday_book.h"
#include "store/store.h"

namespace hypersdk::engine {

struct AdmissionPolicy {
  core::RetryPolicy default_retry;
  bool exec_enabled = false;
  ExecConfig exec;
  // Job types this installation can run; empty = accept any well-formed type.
  std::set<std::string> known_types{"noop", "exec", "upload"};
  // The configured holiday calendars, for job and schedule windows; when the config's
  // calendars could not be loaded, the error is reported to whoever names a calendar.
  // The book is shared: a reload that replaces the calendars reaches every holder.
  std::shared_ptr<HolidayBook> holidays = std::make_shared<HolidayBook>();
  std::optional<Error> holidays_error;
  // Zone of schedules and job windows that name none.
  std::string default_timezone = "UTC";
};

// Submit's (and schedule create's) rule on job types: one this server knows, exec only when
// enabled. Error class invalid naming the type and the known ones.
Status check_job_type(const AdmissionPolicy& policy, const std::string& type);

class JobService {
 public:
  JobService(store::Store& store, const Clock& clock, AdmissionPolicy policy,
             std::function<void()> on_change = {})
      : store_(store),
        clock_(clock),
        policy_(std::move(policy)),
        on_change_(std::move(on_change)) {}

  const AdmissionPolicy& policy() const { return policy_; }
  store::Store& store() { return store_; }

  Result<core::Job> submit(const core::JobSpec& spec);
  // The admission checks of submit without the enqueue (workflow steps): the type is known,
  // exec is enabled and its payload valid, the window's zone and holidays resolved.
  Result<core::JobSpec> admit(const core::JobSpec& spec) const;
  core::TimeMs now() const { return clock_.now_ms(); }
  // Wakes the worker pool after a change made through the store directly (workflows).
  void notify_change() const {
    if (on_change_) on_change_();
  }
  Result<core::Job> get(core::JobId id) { return store_.job_get(id); }
  Result<std::vector<core::Job>> list(const store::JobFilter& f) { return store_.job_list(f); }
  Result<std::vector<store::LogLine>> logs(core::JobId id, std::int64_t after, int limit) {
    return store_.job_log_read(id, after, limit);
  }
  Result<core::Job> cancel(core::JobId id);
  Result<core::Job> retry(core::JobId id);
  Result<std::vector<store::DeadLetter>> dlq_list(int limit) { return store_.dlq_list(limit); }
  Result<store::DeadLetter> dlq_get(core::JobId id) { return store_.dlq_get(id); }
  Result<core::Job> dlq_replay(core::JobId id);
  Result<int> dlq_purge(std::optional<core::JobId> id) { return store_.dlq_purge(id); }

 private:
  template <typename T>
  T changed(T r) {
    if (r.ok() && on_change_) on_change_();
    return r;
  }
  // One log line for the job just admitted (engine/job_events_log.h).
  static Result<core::Job> logged(Result<core::Job> r, std::string_view action);

  store::Store& store_;
  const Clock& clock_;
  const AdmissionPolicy policy_;
  const std::function<void()> on_change_;
};

}  // namespace hypersdk::engine
