// Bulk submit's shapes, shared by POST /api/v1/jobs:batch and `submit --file jobs.jsonl` in
// local mode: the request is a JSON array of job requests (wire/job_json.h), or an object
// {"jobs": [...]}; the answer has one entry per request, in order:
//   {"results": [{"job": {...}} | {"error": {"code", "message"}}], "accepted": N,
//    "rejected": M}
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/job.h"

namespace hypersdk::wire {

// A batch holds 1..kMaxBatchJobs requests: big enough to share one commit among many jobs,
// small enough that one transaction does not hold the writer for long.
inline constexpr std::size_t kMaxBatchJobs = 10000;

// The job requests of a batch body; invalid naming the rule when it is not an array (or
// {"jobs": array}) of 1..kMaxBatchJobs elements.
Result<std::vector<nlohmann::json>> job_batch_items(const nlohmann::json& body);

using SubmitMany = std::function<std::vector<Result<core::Job>>(const std::vector<core::JobSpec>&)>;

// Parses each request (a bad one gets its own error and is left out), submits the rest with
// one call of `submit_many` and renders the answer.
nlohmann::json submit_job_batch(const std::vector<nlohmann::json>& items,
                                const core::RetryPolicy& defaults, const SubmitMany& submit_many);

}  // namespace hypersdk::wire
