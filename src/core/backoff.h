// Retry policy and CalculateBackoff (DESIGN §6). Pure: jitter is derived from (job id, attempt)
// so the same job retries on the same schedule in tests and after a restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hypersdk::core {

enum class BackoffKind { exponential, fixed, linear };
std::string_view to_string(BackoffKind k);
std::optional<BackoffKind> parse_backoff_kind(std::string_view s);

struct RetryPolicy {
  int max_retries = 3;  // retries after the first attempt; 0 = never retry
  BackoffKind kind = BackoffKind::exponential;
  std::chrono::milliseconds base{10'000};
  std::chrono::milliseconds cap{3'600'000};
  bool jitter = true;
  std::vector<ErrorClass> retry_on = {ErrorClass::transient,   ErrorClass::timeout,
                                      ErrorClass::network,     ErrorClass::rate_limited,
                                      ErrorClass::unavailable, ErrorClass::lease_expired};

  bool retries(ErrorClass c) const;
};

// Delay before retry number `attempt` (1 = the first retry).
//   exponential: d = min(cap, base * 2^(attempt-1)), then equal jitter d/2 + U(0, d/2)
//   linear:      d = min(cap, base * attempt), same jitter
//   fixed:       d = base, same jitter
// REQUIRES: attempt >= 1
std::chrono::milliseconds calculate_backoff(const RetryPolicy& policy, int attempt,
                                            std::int64_t job_id);

// What happens to a job whose attempt number `attempt` (1-based, attempts started) failed.
struct FailureDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  bool retries_exhausted = false;  // dead-lettered because no retries were left
};
FailureDecision decide_failure(const RetryPolicy& policy, int attempt, ErrorClass cls,
                               std::int64_t job_id);

}  // namespace hypersdk::core
