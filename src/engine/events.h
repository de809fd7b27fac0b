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
};

class JobListener {
 public:
  virtual ~JobListener() = default;
  virtual void on_job_event(const JobEvent& e) = 0;
};

}  // namespace hypersdk::engine
