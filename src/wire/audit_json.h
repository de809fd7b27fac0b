// The audit trail's JSON shape (GET /api/v1/audit, `audit list --json`): an audit entry
// (wire/schedule_json.h) plus request_id and source (null when not recorded).
#pragma once

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "store/audit_log.h"

namespace hypersdk::wire {

nlohmann::json audit_record_to_json(const store::AuditRecord& r);

// `since` as given to the API or CLI: RFC 3339, or milliseconds since the epoch.
Result<core::TimeMs> parse_audit_since(const std::string& text);

}  // namespace hypersdk::wire
