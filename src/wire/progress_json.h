// The JSON face of a job's progress (bytes done of total, percent, rate, ETA), shared by the
// API (GET /api/v1/jobs/{id}, the log stream's "progress" events) and the CLI.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"

namespace hypersdk::wire {

// {"done_bytes", "total_bytes", "percent" (null when the total is unknown),
//  "rate_bytes_per_second" (average over the attempt so far), "eta_seconds" (null when
//  unknown), "attempt", "updated_at"}.
nlohmann::json progress_to_json(const store::JobProgress& p);

// "32.0 MiB / 64.0 MiB (50%), 10.2 MiB/s, ETA 3s" for a progress object as above.
std::string progress_text(const nlohmann::json& p);

// "1.5 GiB": bytes in binary units with one decimal.
std::string human_bytes(double bytes);

}  // namespace hypersdk::wire
