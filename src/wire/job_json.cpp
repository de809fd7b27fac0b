#include "wire/job_json.h"

#include <date/date.h>

#include <set>

#include "core/time_text.h"
#include "ops/config_schema.h"
#include "wire/fields.h"
#include "wire/json_limits.h"

namespace hypersdk::wire {
using core::format_time;
using core::parse_time;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

json opt_time(const std::optional<core::TimeMs>& t) {
  return t ? json(format_time(*t)) : json(nullptr);
}

json error_json(const Error& e) {
  return {{"class", std::string(to_string(e.cls))}, {"message", e.message}};
}

Status parse_retry(const json& r, core::RetryPolicy& p) {
  static const std::set<std::string> kKeys{"max_retries", "backoff",  "base",
                                           "cap",         "retry_on", "jitter"};
  if (!r.is_object()) return invalid_error("\"retry\" must be an object");
  for (const auto& [k, v] : r.items())
    if (!kKeys.count(k)) return invalid_error("unknown key \"retry." + k + "\"");
  if (r.contains("max_retries")) {
    auto n = int_field(r["max_retries"], "retry.max_retries", 0, kMaxRetries);
    if (!n) return n.error();
    p.max_retries = static_cast<int>(*n);
  }
  if (r.contains("backoff")) {
    auto k = r["backoff"].is_string() ? core::parse_backoff_kind(r["backoff"].get<std::string>())
                                      : std::nullopt;
    if (!k) return invalid_error("\"retry.backoff\" must be exponential, linear or fixed");
    p.kind = *k;
  }
  for (const char* name : {"base", "cap"}) {
    if (!r.contains(name)) continue;
    auto d = duration_field(r[name], std::string("retry.") + name);
    if (!d) return d.error();
    (std::string(name) == "base" ? p.base : p.cap) = *d;
  }
  if (r.contains("jitter")) {
    if (!r["jitter"].is_boolean()) return invalid_error("\"retry.jitter\" must be true or false");
    p.jitter = r["jitter"].get<bool>();
  }
  if (r.contains("retry_on")) {
    if (!r["retry_on"].is_array())
      return invalid_error("\"retry.retry_on\" must be a list of error classes");
    p.retry_on.clear();
    for (const auto& c : r["retry_on"]) {
      auto cls = c.is_string() ? parse_error_class(c.get<std::string>()) : std::nullopt;
      if (!cls) return invalid_error("\"retry.retry_on\": unknown error class " + c.dump());
      p.retry_on.push_back(*cls);
    }
  }
  return Status::Ok();
}

// "window", "days", "holidays" (list or comma-separated), "timezone", "window_close". An
// absent timezone stays empty: the JobService fills in scheduler.default_timezone.
Result<core::JobWindow> parse_window_request(const json& body) {
  std::string fields[4];
  const char* keys[4] = {"window", "days", "timezone", "window_close"};
  for (int i = 0; i < 4; ++i) {
    if (!body.contains(keys[i])) continue;
    auto v = string_field(body[keys[i]], keys[i], kMaxShortString);
    if (!v) return v.error();
    fields[i] = std::move(*v);
  }
  std::vector<std::string> holidays;
  if (body.contains("holidays")) {
    auto h = holiday_list(body["holidays"]);
    if (!h) return h.error();
    holidays = std::move(*h);
  }
  auto w = core::make_job_window(fields[2].empty() ? "UTC" : fields[2], fields[0], fields[1],
                                 holidays, fields[3]);
  if (!w) return w.error();
  if (fields[2].empty()) w->timezone.clear();
  return w;
}

}  // namespace

Result<core::JobSpec> parse_job_request(const json& body, const core::RetryPolicy& defaults) {
  static const std::set<std::string> kKeys{
      "type",   "payload",  "priority", "run_at",      "timeout",     "idempotency_key",
      "target", "provider", "labels",   "retry",       "max_retries", "window",
      "days",   "holidays", "timezone", "window_close"};
  if (!body.is_object()) return invalid_error("the request body must be a JSON object");
  if (Status s = check_document(body); !s.ok()) return s.error();
  for (const auto& [k, v] : body.items())
    if (!kKeys.count(k)) return invalid_error("unknown key \"" + shorten(k) + "\"");
  core::JobSpec spec;
  spec.retry = defaults;
  if (!body.contains("type"))
    return invalid_error("\"type\" is required: a job type such as \"exec\" or \"noop\"");
  auto type = string_field(body["type"], "type", kMaxShortString);
  if (!type) return type.error();
  spec.type = std::move(*type);
  if (body.contains("payload")) {
    if (!body["payload"].is_object()) return invalid_error("\"payload\" must be an object");
    spec.payload = body["payload"].dump();
  }
  if (body.contains("labels")) {
    if (!body["labels"].is_object()) return invalid_error("\"labels\" must be an object");
    for (const auto& [k, v] : body["labels"].items()) {
      if (k.size() > kMaxShortString)
        return invalid_error("label names must be at most " + std::to_string(kMaxShortString) +
                             " bytes");
      if (auto l = string_field(v, "labels." + k, kMaxString); !l) return l.error();
    }
    spec.labels = body["labels"].dump();
  }
  if (body.contains("priority")) {
    auto n = int_field(body["priority"], "priority", kMinPriority, kMaxPriority);
    if (!n) return n.error();
    spec.priority = static_cast<int>(*n);
  }
  if (body.contains("run_at")) {
    auto t = time_field(body["run_at"], "run_at");
    if (!t) return t.error();
    spec.run_at = *t;
  }
  if (body.contains("timeout")) {
    auto d = duration_field(body["timeout"], "timeout");
    if (!d) return d.error();
    spec.timeout_ms = d->count();
  }
  for (auto [key, field, max] :
       {std::tuple{"idempotency_key", &spec.idempotency_key, kMaxIdempotencyKey},
        std::tuple{"target", &spec.target, kMaxString},
        std::tuple{"provider", &spec.provider, kMaxShortString}}) {
    if (!body.contains(key)) continue;
    auto v = string_field(body[key], key, max);
    if (!v) return v.error();
    *field = std::move(*v);
  }
  if (body.contains("retry"))
    if (Status s = parse_retry(body["retry"], spec.retry); !s.ok()) return s.error();
  if (body.contains("max_retries")) {
    auto n = int_field(body["max_retries"], "max_retries", 0, kMaxRetries);
    if (!n) return n.error();
    spec.retry.max_retries = static_cast<int>(*n);
  }
  if (body.contains("window") || body.contains("days") || body.contains("holidays") ||
      body.contains("timezone") || body.contains("window_close")) {
    auto w = parse_window_request(body);
    if (!w) return w.error();
    if (w->restricts()) spec.window = std::move(*w);
  }
  if (Status s = core::validate_spec(spec); !s.ok()) return s.error();
  return spec;
}

json job_to_json(const core::Job& job) {
  json errors = json::array();
  for (const auto& e : job.errors)
    errors.push_back({{"attempt", e.attempt},
                      {"at", format_time(e.at)},
                      {"class", std::string(to_string(e.error.cls))},
                      {"message", e.error.message}});
  json j{
      {"id", core::format_job_id(job.id)},
      {"type", job.spec.type},
      {"status", std::string(core::to_string(job.status))},
      {"priority", job.spec.priority},
      {"attempt", job.attempt},
      {"max_retries", job.spec.retry.max_retries},
      {"retry",
       {{"backoff", std::string(core::to_string(job.spec.retry.kind))},
        {"base", ops::format_duration(job.spec.retry.base)},
        {"cap", ops::format_duration(job.spec.retry.cap)}}},
      {"created_at", format_time(job.created_at)},
      {"run_at", format_time(job.run_at)},
      {"started_at", opt_time(job.started_at)},
      {"finished_at", opt_time(job.finished_at)},
      {"error", job.last_error ? error_json(*job.last_error) : json(nullptr)},
      {"errors", errors},
      {"payload", stored_json(job.spec.payload)},
      {"labels", stored_json(job.spec.labels)},
      {"target", job.spec.target},
      {"provider", job.spec.provider},
      {"cancel_requested", job.cancel_requested},
  };
  if (job.spec.timeout_ms > 0)
    j["timeout"] = ops::format_duration(milliseconds(job.spec.timeout_ms));
  if (!job.spec.idempotency_key.empty()) j["idempotency_key"] = job.spec.idempotency_key;
  if (!job.result.empty()) j["result"] = stored_json(job.result);
  if (job.spec.schedule_id) j["schedule_id"] = *job.spec.schedule_id;
  // A workflow step: the store labels each step with its workflow and step name.
  const json& labels = j["labels"];
  const bool step = labels.is_object() && labels.contains("workflow") &&
                    labels["workflow"].is_string() && labels.contains("step");
  j["workflow_id"] = step ? labels["workflow"] : json(nullptr);
  j["step"] = step ? labels["step"] : json(nullptr);
  if (job.spec.window) {
    const core::JobWindow& w = *job.spec.window;
    j["window"] = {{"window", w.window ? json(w.window->to_string()) : json(nullptr)},
                   {"days", w.days.to_string()},
                   {"holidays", w.holiday_names},
                   {"timezone", w.timezone},
                   {"close", std::string(core::to_string(w.close))}};
    // The dates it was admitted with (resolve_holidays), so `query` can say which holiday a
    // waiting job waits out.
    if (!w.holidays.empty()) {
      json dates = json::object();
      for (const auto& cal : w.holidays) {
        json list = json::array();
        for (const auto& d : cal.dates) list.push_back(date::format("%F", date::sys_days(d)));
        dates[cal.name] = std::move(list);
      }
      j["window"]["holiday_dates"] = std::move(dates);
    }
  }
  if (job.started_at && job.finished_at)
    j["duration_seconds"] = static_cast<double>(*job.finished_at - *job.started_at) / 1000.0;
  return j;
}

json dead_letter_to_json(const store::DeadLetter& d) {
  json j = job_to_json(d.job);
  j["dead_letter"] = {{"reason", d.reason}, {"at", format_time(d.created_at)}};
  return j;
}

json log_line_to_json(const store::LogLine& l) {
  return {{"seq", l.seq}, {"ts", format_time(l.ts)}, {"stream", l.stream}, {"line", l.line}};
}

}  // namespace hypersdk::wire
