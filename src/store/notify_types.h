// Value types of the notification outbox (DESIGN §8) as the store port hands them out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/job.h"

namespace hypersdk::store {

using DeliveryId = std::int64_t;

// The receivers the routes chose for one event; an empty list still marks it routed.
struct EventRouting {
  std::int64_t event_id = 0;
  std::vector<std::string> receivers;
};

struct DeliveryAttempt {
  int attempt = 0;
  core::TimeMs at = 0;
  std::optional<int> http_status;  // none when no answer came
  std::int64_t latency_ms = 0;
  std::string error;  // empty on success
};

struct Delivery {
  DeliveryId id = 0;
  std::int64_t event_id = 0;
  std::string receiver;
  std::string event_kind;
  std::string status;  // pending | delivered | failed
  int attempts = 0;
  core::TimeMs next_attempt_at = 0;
  core::TimeMs created_at = 0;
  std::optional<core::TimeMs> finished_at;
  std::string last_error;
  // The event itself, for the channel that sends it.
  std::string severity;
  std::string subject;
  std::string payload;  // JSON object
  core::TimeMs event_at = 0;
  std::vector<DeliveryAttempt> history;  // filled by delivery_get only
};

// What became of one attempt.
struct DeliveryOutcome {
  DeliveryId id = 0;
  DeliveryAttempt attempt;
  enum class Next { delivered, retry, failed } next = Next::delivered;
  core::TimeMs retry_at = 0;  // when next == retry
};

struct DeliveryFilter {
  std::string status;      // empty = any
  std::string event_kind;  // empty = any
  std::string receiver;    // empty = any
  int limit = 50;          // 1..1000
};

struct DeliveryCount {
  std::string receiver;
  std::string status;
  std::int64_t count = 0;
};

}  // namespace hypersdk::store
