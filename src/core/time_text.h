// Times as text at the edges (API, CLI, logs): RFC 3339 UTC with milliseconds out, ISO 8601
// with an offset or Z in. Pure functions; times are milliseconds since the Unix epoch, UTC.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/job.h"

namespace hypersdk::core {

// RFC 3339 UTC with milliseconds: "2026-04-02T14:30:00.000Z".
std::string format_time(TimeMs t);

// "2026-04-02T14:30:00Z", "2026-04-02T09:30:00-05:00", ... Errors: invalid.
Result<TimeMs> parse_time(std::string_view text);

}  // namespace hypersdk::core
