// Notification deliveries as JSON, the one shape of GET /api/v1/notifications and
// `notify list|show --json`: {"id", "event_id", "event", "receiver", "status", "attempts",
// "severity", "subject", "created_at", "next_attempt_at"?, "finished_at"?, "last_error"?,
// "payload"? (show), "history"? (show: [{attempt, at, http_status?, latency_ms, error?}])}.
#pragma once

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "store/notify_types.h"

namespace hypersdk::wire {

nlohmann::json delivery_to_json(const store::Delivery& d, bool detail);
// "--status": pending | delivered | failed. Errors: invalid naming the value.
Status check_delivery_status(const std::string& status);

}  // namespace hypersdk::wire
