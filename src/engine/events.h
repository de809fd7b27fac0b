// What the engine reports about jobs as they move, for metrics, logs and (later) notifiers.
// Listeners are called on engine threads and must not block.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "core/job.h"

namespace hypersdk::engine {

enum class JobEventKind { started, succeeded, retrying, failed, cancelled, rescued };

struct JobEvent {
  JobEventKind kind;
  core::JobId id = 0;
  std::string type;
  int attempt = 0;
  std::int64_t duration_ms = 0;
  std::optional<Error> error;
  bool retries_exhausted = false;
  std::string provider;  // empty for jobs that use none (exec, noop)
  // For the log (engine/job_events_log.h): set on `started` only (listeners keep what they
  // need across the attempt) ...
  std::string worker;                       // the lease owner running it
  std::optional<std::int64_t> schedule_id;  // a schedule's run
  // ... and on `retrying`: when the next attempt may start.
  std::optional<core::TimeMs> retry_at;
};

class JobListener {
 public:
  virtual ~JobListener() = default;
  virtual void on_job_event(const JobEvent& e) = 0;
};

}  // namespace hypersdk::engine
