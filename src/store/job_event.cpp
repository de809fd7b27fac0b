#include "store/job_event.h"

#include <nlohmann/json.hpp>

#include "core/time_text.h"
#include "store/event_row.h"

namespace hypersdk::store::detail {

namespace {

using nlohmann::json;

constexpr const char* kJobFacts =
    "SELECT j.type, j.status, j.target, j.provider, j.attempt, j.labels, j.error_class,"
    " j.error_message, j.result, j.started_at, j.finished_at, s.name, w.name, j.step_name"
    " FROM jobs j LEFT JOIN schedules s ON s.id = j.schedule_id"
    " LEFT JOIN workflows w ON w.id = j.workflow_id WHERE j.id = ?";

// The spec's word for a finished job is "completed" (its payload example).
std::string spec_status(const std::string& status) {
  return status == "succeeded" ? "completed" : status;
}

json parse_object(const std::string& text) {
  auto v = json::parse(text, nullptr, false);
  return v.is_object() ? v : json::object();
}

}  // namespace

void job_event(Connection& c, core::JobId id, std::string_view kind, core::TimeMs now,
               JobEventFacts facts) {
  auto& st = c.stmt(kJobFacts);
  st.bind(1, static_cast<std::int64_t>(id));
  if (!st.executeStep()) return;
  auto text = [&](int i) { return st.getColumn(i).isNull() ? "" : st.getColumn(i).getString(); };
  const std::string status = text(1);
  json job{{"id", core::format_job_id(id)},
           {"type", text(0)},
           {"provider", text(3)},
           {"vm_name", text(2)},
           {"status", spec_status(status)},
           {"attempt", st.getColumn(4).getInt()},
           {"labels", parse_object(text(5))}};
  if (!st.getColumn(9).isNull()) {
    const core::TimeMs started = st.getColumn(9).getInt64();
    const core::TimeMs ended = st.getColumn(10).isNull() ? now : st.getColumn(10).getInt64();
    if (kind != "job.started")
      job["duration_seconds"] = std::max<core::TimeMs>(0, ended - started) / 1000;
  }
  // Provider handlers report their output in the result (DESIGN §9 step contract).
  const json result = parse_object(text(8));
  if (auto it = result.find("output_size_bytes"); it != result.end())
    job["output_size_bytes"] = *it;
  else if (auto sz = result.find("size_bytes"); sz != result.end())
    job["output_size_bytes"] = *sz;
  if (auto it = result.find("output_format"); it != result.end())
    job["output_format"] = *it;
  else if (auto f = result.find("format"); f != result.end())
    job["output_format"] = *f;

  json payload{{"event", kind}, {"timestamp", core::format_time(now)}, {"job", job}};
  std::string severity = "info";
  if (kind == "job.failed") {
    payload["retries_exhausted"] = facts.retries_exhausted;
    payload["final"] = facts.final;
    severity = facts.final ? "critical" : "warning";
  } else if (kind == "job.cancelled") {
    severity = "warning";
  }
  if (kind == "job.failed" || kind == "job.cancelled")
    payload["error"] = {{"class", text(6)}, {"message", text(7)}};
  if (!st.getColumn(11).isNull()) payload["schedule"] = text(11);
  if (!st.getColumn(12).isNull()) {
    payload["workflow"] = text(12);
    payload["step"] = text(13);
  }
  const std::string subject = core::format_job_id(id);
  event_insert(c, kind, severity, subject, payload.dump(), now);
}

}  // namespace hypersdk::store::detail
