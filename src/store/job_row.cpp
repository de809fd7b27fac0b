#include "store/job_row.h"

#include <atomic>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "ops/log.h"

namespace hypersdk::store {
namespace {
std::atomic<std::int64_t> g_unreadable{0};
}  // namespace

std::int64_t unreadable_stored_values() {
  return g_unreadable.load();
}

namespace detail {

void note_unreadable(const char* column, std::string_view value, const std::string& row) {
  const std::int64_t n = ++g_unreadable;
  // Logged at the 1st, 2nd, 4th, 8th... occurrence: a bad row read by every list is not a
  // line per read.
  if ((n & (n - 1)) == 0)
    ops::log::error("a stored value cannot be read; using a default",
                    {{"column", column},
                     {"value", std::string(value.substr(0, 64))},
                     {"row", row},
                     {"occurrences", n}});
}

}  // namespace detail

namespace detail {
using nlohmann::json;

namespace {
std::optional<core::TimeMs> opt_int64(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

}  // namespace

std::vector<core::ErrorRecord> parse_errors(const std::string& text) {
  std::vector<core::ErrorRecord> out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    core::ErrorRecord r;
    r.attempt = e.value("attempt", 0);
    r.at = e.value("at", core::TimeMs{0});
    r.error.cls = parse_error_class(e.value("class", "internal")).value_or(ErrorClass::internal);
    r.error.message = e.value("message", "");
    out.push_back(std::move(r));
  }
  return out;
}

std::string retry_policy_to_json(const core::RetryPolicy& p) {
  json on = json::array();
  for (auto c : p.retry_on) on.push_back(std::string(to_string(c)));
  return json{{"backoff", std::string(core::to_string(p.kind))},
              {"base_ms", p.base.count()},
              {"cap_ms", p.cap.count()},
              {"jitter", p.jitter},
              {"retry_on", on}}
      .dump();
}

core::RetryPolicy retry_policy_from_json(const std::string& text, int max_retries) {
  core::RetryPolicy p;
  p.max_retries = max_retries;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return p;
  const std::string kind = j.value("backoff", "exponential");
  if (auto parsed = core::parse_backoff_kind(kind))
    p.kind = *parsed;
  else
    note_unreadable("retry_policy.backoff", kind, "");
  p.base = std::chrono::milliseconds(j.value("base_ms", p.base.count()));
  p.cap = std::chrono::milliseconds(j.value("cap_ms", p.cap.count()));
  p.jitter = j.value("jitter", true);
  if (j.contains("retry_on") && j["retry_on"].is_array()) {
    p.retry_on.clear();
    for (const auto& c : j["retry_on"])
      if (c.is_string())
        if (auto cls = parse_error_class(c.get<std::string>())) p.retry_on.push_back(*cls);
  }
  return p;
}

std::string append_error(const std::string& history, int attempt, core::TimeMs at,
                         const Error& error) {
  auto j = json::parse(history, nullptr, false);
  if (!j.is_array()) j = json::array();
  j.push_back({{"attempt", attempt},
               {"at", at},
               {"class", std::string(to_string(error.cls))},
               {"message", error.message}});
  return j.dump();
}

std::string window_to_json(const core::JobWindow& w) {
  json holidays = json::object();
  for (const auto& cal : w.holidays) {
    json dates = json::array();
    for (const auto& d : cal.dates) dates.push_back(date::format("%F", date::sys_days(d)));
    holidays[cal.name] = dates;
  }
  for (const auto& name : w.holiday_names)
    if (!holidays.contains(name)) holidays[name] = json::array();
  return json{{"timezone", w.timezone},
              {"window", w.window ? json(w.window->to_string()) : json(nullptr)},
              {"days", w.days.to_string()},
              {"holidays", holidays},
              {"close", std::string(core::to_string(w.close))}}
      .dump();
}

RetryTime retry_time(const std::optional<core::JobWindow>& window, core::TimeMs backoff_at) {
  if (!window || !window->restricts()) return {backoff_at, false};
  auto start = core::window_start_at(*window, backoff_at);
  return {start.value_or(backoff_at + kWindowRecheckMs), !start || *start > backoff_at};
}

std::optional<core::JobWindow> window_from_json(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  std::vector<std::string> names;
  if (j.contains("holidays") && j["holidays"].is_object())
    for (const auto& [name, dates] : j["holidays"].items()) names.push_back(name);
  const json& win = j.contains("window") ? j["window"] : json(nullptr);
  auto w = core::make_job_window(j.value("timezone", "UTC"),
                                 win.is_string() ? win.get<std::string>() : std::string(),
                                 j.value("days", "*"), names, j.value("close", "let_finish"));
  if (!w) return std::nullopt;
  for (const auto& name : names) {
    core::HolidayCalendar cal;
    cal.name = name;
    for (const auto& d : j["holidays"][name])
      if (d.is_string())
        if (auto ymd = core::parse_iso_date(d.get<std::string>())) cal.dates.insert(*ymd);
    w->holidays.push_back(std::move(cal));
  }
  return std::move(*w);
}

core::Job read_job(SQLite::Statement& st) {
  core::Job j;
  j.id = st.getColumn(0).getInt64();
  j.spec.type = st.getColumn(1).getString();
  const std::string status = st.getColumn(2).getString();
  if (auto parsed = core::parse_job_status(status)) {
    j.status = *parsed;
  } else {
    // A status this binary does not know (a newer binary's, a hand edit): read as failed,
    // so the job is neither run nor counted as active.
    note_unreadable("jobs.status", status, core::format_job_id(j.id));
    j.status = core::JobStatus::failed;
  }
  j.spec.priority = st.getColumn(3).getInt();
  j.spec.payload = st.getColumn(4).getString();
  j.spec.labels = st.getColumn(5).getString();
  j.spec.target = st.getColumn(6).getString();
  j.spec.provider = st.getColumn(7).getString();
  j.attempt = st.getColumn(8).getInt();
  j.spec.retry = retry_policy_from_json(st.getColumn(10).getString(), st.getColumn(9).getInt());
  j.spec.timeout_ms = st.getColumn(11).getInt64();
  j.run_at = st.getColumn(12).getInt64();
  j.spec.run_at = j.run_at;
  j.created_at = st.getColumn(13).getInt64();
  j.started_at = opt_int64(st.getColumn(14));
  j.finished_at = opt_int64(st.getColumn(15));
  j.lease_owner = st.getColumn(16).isNull() ? "" : st.getColumn(16).getString();
  j.lease_token = st.getColumn(17).getInt64();
  j.cancel_requested = st.getColumn(18).getInt() != 0;
  if (!st.getColumn(19).isNull()) {
    const std::string cls = st.getColumn(19).getString();
    auto parsed = parse_error_class(cls);
    if (!parsed) note_unreadable("jobs.error_class", cls, core::format_job_id(j.id));
    j.last_error = Error{parsed.value_or(ErrorClass::internal), st.getColumn(20).getString()};
  }
  j.errors = parse_errors(st.getColumn(21).getString());
  j.result = st.getColumn(22).getString();
  j.spec.idempotency_key = st.getColumn(23).isNull() ? "" : st.getColumn(23).getString();
  if (!st.getColumn(24).isNull()) j.spec.schedule_id = st.getColumn(24).getInt64();
  if (!st.getColumn(25).isNull()) j.spec.window = window_from_json(st.getColumn(25).getString());
  return j;
}

}  // namespace detail
}  // namespace hypersdk::store
