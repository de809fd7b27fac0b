// The JSON face of jobs, shared by the API and the CLI (--json, --file): parsing a submit
// request into a JobSpec with defaults, and rendering jobs and dead letters.
#pragma once

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/time_text.h"
#include "store/store.h"

namespace hypersdk::wire {

// Parses {"type", "payload", "priority", "run_at" (RFC 3339 or ms), "timeout" ("30m" or
// seconds), "idempotency_key", "target", "provider", "labels",
// "retry": {"max_retries", "backoff", "base", "cap", "retry_on"}} (also "max_retries" at the
// top level), and a time window: "window" ("22:00-06:00"), "days" ("mon-fri"), "holidays"
// (calendar names), "timezone", "window_close" (let_finish | cancel). Unknown keys are an
// error (a typo must not be silently ignored). Ranges (wire/fields.h): priority -1000..1000,
// max_retries 0..100, durations 0..366d, run_at 1970..9999 with offsets within +-18:00,
// idempotency_key/type/provider/window fields at most 255 bytes, target and label values
// 4096; no NUL in any key or string, nesting at most 32 levels (wire/json_limits.h).
Result<core::JobSpec> parse_job_request(const nlohmann::json& body,
                                        const core::RetryPolicy& defaults);

nlohmann::json job_to_json(const core::Job& job);
nlohmann::json dead_letter_to_json(const store::DeadLetter& d);
nlohmann::json log_line_to_json(const store::LogLine& l);

}  // namespace hypersdk::wire
