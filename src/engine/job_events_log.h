// A job's life in the log (README, "Following one job in the log"): one line per transition,
// each with `job.id` and `job.type`, `schedule.name` for a schedule's runs, and `request.id`
// on the line of the API request that queued, cancelled or retried it, so
// `jq 'select(."job.id"=="j-42")'` follows a job end to end.
//
//   queued / waiting     info   (job_service.cpp: log_job_admitted)
//   started              info   worker, attempt
//   succeeded            info   duration_ms
//   retrying             warn   error.class, error.message, retry_in_ms, next_attempt
//   failed               error  error.class, error.message, retries_exhausted
//   dead-lettered        error  reason (after "failed": the same transaction wrote the row)
//   cancelled            info   (a running job when its handler stops; a queued one at once)
//   rescued              warn   a lapsed lease requeued it, or dead-lettered it (error)
//
// All formatting lives here so the engine's call sites stay one line each.
// Thread safety: JobEventLog::on_job_event and the free functions may be called from any
// thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/events.h"
#include "store/store.h"

namespace hypersdk::engine {

// The pool's events (started, succeeded, retrying, failed, cancelled) as log lines.
class JobEventLog final : public JobListener {
 public:
  // `store` resolves a schedule id to its name (cached). REQUIRES: `store` outlives this.
  explicit JobEventLog(store::Store& store) : store_(store) {}
  void on_job_event(const JobEvent& e) override;

 private:
  std::string schedule_name(const JobEvent& e);

  store::Store& store_;
  std::mutex mu_;
  std::map<std::int64_t, std::string> schedule_names_;   // GUARDED_BY(mu_)
  std::map<core::JobId, std::string> running_schedule_;  // GUARDED_BY(mu_), from "started"
};

// Calls each listener in turn (metrics, then the log).
class JobListeners final : public JobListener {
 public:
  void add(JobListener* l) {
    if (l) listeners_.push_back(l);
  }
  void on_job_event(const JobEvent& e) override {
    for (auto* l : listeners_) l->on_job_event(e);
  }

 private:
  std::vector<JobListener*> listeners_;
};

// A job just written by submit/retry/replay (`action`: "queued", "retried", "replayed"):
// "job queued" (or "job waiting" when its window is closed), with the request id of the
// API request on this thread, if any.
void log_job_admitted(const core::Job& job, std::string_view action);
// Cancel: "job cancelled" when it stopped at once, "job cancel requested" while running.
void log_job_cancel(const core::Job& job);
// The lease reaper's work: warn per requeued job, error per dead-lettered one.
void log_jobs_rescued(const store::RescueResult& r, std::string_view why);

}  // namespace hypersdk::engine
