// The job domain: states, the submission spec and the stored job. Pure values, no I/O.
//
// State machine (DESIGN §4):
//   waiting -> queued -> running -> succeeded
//                        running -> retrying -> queued -> ...   (retryable error, retries left)
//                        running -> failed                      (dead-lettered in the same tx)
//   any non-terminal -> cancelled;  waiting -> upstream_failed (workflow dependency failed)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.h"
#include "core/error.h"
#include "core/schedule_window.h"

namespace hypersdk::core {

enum class JobStatus {
  waiting,
  queued,
  running,
  retrying,
  succeeded,
  failed,
  cancelled,
  upstream_failed
};

std::string_view to_string(JobStatus s);
std::optional<JobStatus> parse_job_status(std::string_view s);
bool is_terminal(JobStatus s);

using JobId = std::int64_t;
using TimeMs = std::int64_t;  // milliseconds since the Unix epoch, UTC

// Public ids look like "j-42"; a bare "42" is accepted too.
std::string format_job_id(JobId id);
std::optional<JobId> parse_job_id(std::string_view s);

// What a client submits.
struct JobSpec {
  std::string type;              // "exec", "noop", "export", ...
  std::string payload = "{}";    // JSON object text, interpreted by the job type's handler
  int priority = 0;              // higher runs first
  std::optional<TimeMs> run_at;  // not before this time; default now
  RetryPolicy retry;             // filled from config defaults, overridable per job
  std::int64_t timeout_ms = 0;   // 0 = none
  std::string
      idempotency_key;   // empty = none; a second submit with the same key returns the first job
  std::string target;    // VM name or glob the job acts on (may be empty)
  std::string provider;  // provider name (may be empty)
  std::string labels = "{}";  // JSON object of string labels
  // Start only inside this window (schedule_window.h): outside it the job is `waiting` until
  // the next opening, and so are its retries. Holidays must be resolved before enqueue.
  std::optional<JobWindow> window;
  std::optional<std::int64_t> schedule_id;  // the schedule whose occurrence or run this is
};

// One entry of a job's error history.
struct ErrorRecord {
  int attempt = 0;
  TimeMs at = 0;
  Error error;
};

struct Job {
  JobId id = 0;
  JobSpec spec;
  JobStatus status = JobStatus::queued;
  int attempt = 0;  // attempts started so far
  TimeMs created_at = 0;
  TimeMs run_at = 0;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
  std::optional<Error> last_error;
  std::vector<ErrorRecord> errors;
  std::string result;  // JSON text of the handler's result, if any
  std::string lease_owner;
  std::int64_t lease_token = 0;
  bool cancel_requested = false;
};

// Validates a spec before it is stored: type and payload shape, limits.
Status validate_spec(const JobSpec& spec);

}  // namespace hypersdk::core
