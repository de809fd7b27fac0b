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
  auto opt_text = [&](int i) {
    return st.getColumn(i).isNull() ? std::nullopt
                                    : std::optional<std::string>(st.getColumn(i).getString());
  };
  auto opt_time = [&](int i) {
    return st.getColumn(i).isNull() ? std::nullopt
                                    : std::optional<core::TimeMs>(st.getColumn(i).getInt64());
  };
  JobEventRow row{.type = text(0),
                  .status = text(1),
                  .target = text(2),
                  .provider = text(3),
                  .labels = text(5),
                  .error_class = text(6),
                  .error_message = text(7),
                  .result = text(8),
                  .attempt = st.getColumn(4).getInt(),
                  .started_at = opt_time(9),
                  .finished_at = opt_time(10),
                  .schedule = opt_text(11),
                  .workflow = opt_text(12),
                  .step = opt_text(13)};
  st.reset();
  auto [severity, payload] = job_event_payload(id, kind, now, row, facts);
  event_insert(c, kind, severity, core::format_job_id(id), payload, now);
}

std::pair<std::string, std::string> job_event_payload(core::JobId id, std::string_view kind,
                                                      core::TimeMs now, const JobEventRow& row,
                                                      JobEventFacts facts) {
  json job{{"id", core::format_job_id(id)},     {"type", row.type},
           {"provider", row.provider},          {"vm_name", row.target},
           {"status", spec_status(row.status)}, {"attempt", row.attempt},
           {"labels", parse_object(row.labels)}};
  if (row.started_at) {
    const core::TimeMs ended = row.finished_at.value_or(now);
    if (kind != "job.started")
      job["duration_seconds"] = std::max<core::TimeMs>(0, ended - *row.started_at) / 1000;
  }
  // Provider handlers report their output in the result (DESIGN §9 step contract).
  const json result = parse_object(row.result);
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
    payload["error"] = {{"class", row.error_class}, {"message", row.error_message}};
  if (row.schedule) payload["schedule"] = *row.schedule;
  if (row.workflow) {
    payload["workflow"] = *row.workflow;
    payload["step"] = row.step.value_or("");
  }
  return {severity, payload.dump()};
}

}  // namespace hypersdk::store::detail
