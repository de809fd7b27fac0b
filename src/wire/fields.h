// One parser per request field kind, shared by jobs and schedules (API bodies, CLI flags and
// --file all arrive here as JSON). Each checks the JSON type and the allowed range BEFORE
// narrowing, and its error names the field, the value and the rule:
//   "priority" must be an integer from -1000 to 1000, got 4294967296
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/job.h"

namespace hypersdk::wire {

// The ranges of the API reference (README "HTTP API"; job_json.h, schedule_json.h).
inline constexpr std::int64_t kMinPriority = -1000, kMaxPriority = 1000;
inline constexpr std::int64_t kMaxRetries = 100;
inline constexpr std::size_t kMaxShortString = 255;  // names, zones, windows, provider, keys
inline constexpr std::size_t kMaxString = 4096;      // target globs, label values
inline constexpr std::size_t kMaxIdempotencyKey = 255;

// Durations (timeout, retry base/cap, catchup_window) are at most this long.
inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24 * 366);
// Times (run_at): 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z.
inline constexpr core::TimeMs kMinTimeMs = 0;
inline constexpr core::TimeMs kMaxTimeMs = 253402300799999;

// An integer in [min, max]. Floats, strings and out-of-range values (2^63, 1e309 never gets
// here: the parser refuses it) are errors.
Result<std::int64_t> int_field(const nlohmann::json& v, std::string_view name, std::int64_t min,
                               std::int64_t max);

// A string of at most max_bytes bytes.
Result<std::string> string_field(const nlohmann::json& v, std::string_view name,
                                 std::size_t max_bytes);

// "30s", "5m", "1h30m", "250ms", or a whole number of seconds; in [0, kMaxDuration].
Result<std::chrono::milliseconds> duration_field(const nlohmann::json& v, std::string_view name);

// An RFC 3339 time ("2026-04-02T14:30:00Z", offsets within +-18:00) or milliseconds since
// the epoch; in [kMinTimeMs, kMaxTimeMs].
Result<core::TimeMs> time_field(const nlohmann::json& v, std::string_view name);

// Holiday calendar names: a list of strings or one comma-separated string; whitespace around
// each name is dropped, and so are empty items ("us, uk" and ["us", "uk"] are the same).
Result<std::vector<std::string>> holiday_list(const nlohmann::json& v);

}  // namespace hypersdk::wire
