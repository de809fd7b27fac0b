#include "wire/notify_json.h"

#include "core/time_text.h"

namespace hypersdk::wire {

using nlohmann::json;

json delivery_to_json(const store::Delivery& d, bool detail) {
  json j{{"id", d.id},
         {"event_id", d.event_id},
         {"event", d.event_kind},
         {"receiver", d.receiver},
         {"status", d.status},
         {"attempts", d.attempts},
         {"severity", d.severity},
         {"subject", d.subject},
         {"created_at", core::format_time(d.created_at)}};
  if (d.status == "pending") j["next_attempt_at"] = core::format_time(d.next_attempt_at);
  if (d.finished_at) j["finished_at"] = core::format_time(*d.finished_at);
  if (!d.last_error.empty()) j["last_error"] = d.last_error;
  if (detail) {
    auto p = json::parse(d.payload, nullptr, false);
    j["payload"] = p.is_discarded() ? json(d.payload) : p;
    json h = json::array();
    for (const auto& a : d.history) {
      json e{{"attempt", a.attempt}, {"at", core::format_time(a.at)}, {"latency_ms", a.latency_ms}};
      if (a.http_status) e["http_status"] = *a.http_status;
      if (!a.error.empty()) e["error"] = a.error;
      h.push_back(std::move(e));
    }
    j["history"] = std::move(h);
  }
  return j;
}

Status check_delivery_status(const std::string& status) {
  if (status.empty() || status == "pending" || status == "delivered" || status == "failed")
    return Status::Ok();
  return invalid_error("--status: expected pending, delivered or failed, got '" + status + "'");
}

}  // namespace hypersdk::wire
