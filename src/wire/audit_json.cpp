#include "wire/audit_json.h"

#include <charconv>

#include "core/time_text.h"
#include "wire/schedule_json.h"

namespace hypersdk::wire {

nlohmann::json audit_record_to_json(const store::AuditRecord& r) {
  nlohmann::json j = audit_to_json(r.entry);
  j["request_id"] = r.request_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.request_id);
  j["source"] = r.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.source);
  return j;
}

Result<core::TimeMs> parse_audit_since(const std::string& text) {
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec == std::errc() && end == text.data() + text.size() && ms >= 0) return ms;
  auto t = core::parse_time(text);
  if (!t)
    return make_error(ErrorClass::invalid,
                      "since: expected an RFC 3339 time (2026-04-02T14:30:00Z) or milliseconds "
                      "since the epoch, got '" +
                          text + "'");
  return *t;
}

}  // namespace hypersdk::wire
