#include "engine/job_json.h"

#include <date/date.h>

#include <charconv>
#include <set>
#include <sstream>

#include "ops/config_schema.h"

namespace hypersdk::engine {
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

Result<milliseconds> duration_field(const json& v, const std::string& name) {
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return milliseconds(v.get<std::int64_t>() * 1000);
  if (v.is_string()) {
    if (auto d = ops::parse_duration(v.get<std::string>())) return *d;
  }
  return invalid_error("\"" + name +
                       "\" must be a duration such as \"30s\" or a number of seconds");
}

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
    if (!r["max_retries"].is_number_integer())
      return invalid_error("\"retry.max_retries\" must be an integer");
    p.max_retries = r["max_retries"].get<int>();
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
    if (!body[keys[i]].is_string())
      return invalid_error(std::string("\"") + keys[i] + "\" must be a string");
    fields[i] = body[keys[i]].get<std::string>();
  }
  std::vector<std::string> holidays;
  if (body.contains("holidays")) {
    const json& h = body["holidays"];
    if (h.is_string()) {
      std::stringstream in(h.get<std::string>());
      for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) holidays.push_back(item);
    } else if (h.is_array()) {
      for (const auto& item : h) {
        if (!item.is_string())
          return invalid_error("\"holidays\" must be a list of calendar names");
        holidays.push_back(item.get<std::string>());
      }
    } else {
      return invalid_error("\"holidays\" must be a list of calendar names");
    }
  }
  auto w = core::make_job_window(fields[2].empty() ? "UTC" : fields[2], fields[0], fields[1],
                                 holidays, fields[3]);
  if (!w) return w.error();
  if (fields[2].empty()) w->timezone.clear();
  return w;
}

}  // namespace

std::string format_time(core::TimeMs t) {
  return date::format("%FT%TZ", date::sys_time<milliseconds>(milliseconds(t)));
}

Result<core::TimeMs> parse_time(std::string_view text) {
  const std::string s(text);
  for (const char* fmt : {"%FT%T%Ez", "%FT%TZ", "%FT%T%z", "%F %T%Ez", "%FT%R%Ez", "%FT%RZ"}) {
    std::istringstream in(s);
    date::sys_time<milliseconds> tp;
    in >> date::parse(fmt, tp);
    if (!in.fail() && in.peek() == EOF) return tp.time_since_epoch().count();
  }
  return invalid_error("'" + s +
                       "' is not a time: use ISO 8601 with an offset or Z, e.g. "
                       "2026-04-02T14:30:00Z or 2026-04-02T09:30:00-05:00");
}

Result<core::JobSpec> parse_job_request(const json& body, const core::RetryPolicy& defaults) {
  static const std::set<std::string> kKeys{
      "type",   "payload",  "priority", "run_at",      "timeout",     "idempotency_key",
      "target", "provider", "labels",   "retry",       "max_retries", "window",
      "days",   "holidays", "timezone", "window_close"};
  if (!body.is_object()) return invalid_error("the request body must be a JSON object");
  for (const auto& [k, v] : body.items())
    if (!kKeys.count(k)) return invalid_error("unknown key \"" + k + "\"");
  core::JobSpec spec;
  spec.retry = defaults;
  if (!body.contains("type") || !body["type"].is_string())
    return invalid_error("\"type\" is required: a job type such as \"exec\" or \"noop\"");
  spec.type = body["type"].get<std::string>();
  if (body.contains("payload")) {
    if (!body["payload"].is_object()) return invalid_error("\"payload\" must be an object");
    spec.payload = body["payload"].dump();
  }
  if (body.contains("labels")) {
    if (!body["labels"].is_object()) return invalid_error("\"labels\" must be an object");
    for (const auto& [k, v] : body["labels"].items())
      if (!v.is_string()) return invalid_error("label \"" + k + "\" must be a string");
    spec.labels = body["labels"].dump();
  }
  if (body.contains("priority")) {
    if (!body["priority"].is_number_integer())
      return invalid_error("\"priority\" must be an integer");
    spec.priority = body["priority"].get<int>();
  }
  if (body.contains("run_at")) {
    const auto& v = body["run_at"];
    if (v.is_number_integer()) {
      spec.run_at = v.get<core::TimeMs>();
    } else if (v.is_string()) {
      auto t = parse_time(v.get<std::string>());
      if (!t) return t.error();
      spec.run_at = *t;
    } else {
      return invalid_error("\"run_at\" must be an RFC 3339 time or milliseconds since the epoch");
    }
  }
  if (body.contains("timeout")) {
    auto d = duration_field(body["timeout"], "timeout");
    if (!d) return d.error();
    spec.timeout_ms = d->count();
  }
  for (auto [key, field] :
       {std::pair{"idempotency_key", &spec.idempotency_key}, std::pair{"target", &spec.target},
        std::pair{"provider", &spec.provider}}) {
    if (!body.contains(key)) continue;
    if (!body[key].is_string())
      return invalid_error(std::string("\"") + key + "\" must be a string");
    *field = body[key].get<std::string>();
  }
  if (body.contains("retry"))
    if (Status s = parse_retry(body["retry"], spec.retry); !s.ok()) return s.error();
  if (body.contains("max_retries")) {
    if (!body["max_retries"].is_number_integer())
      return invalid_error("\"max_retries\" must be an integer");
    spec.retry.max_retries = body["max_retries"].get<int>();
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
      {"payload", json::parse(job.spec.payload, nullptr, false)},
      {"labels", json::parse(job.spec.labels, nullptr, false)},
      {"target", job.spec.target},
      {"provider", job.spec.provider},
      {"cancel_requested", job.cancel_requested},
  };
  if (job.spec.timeout_ms > 0)
    j["timeout"] = ops::format_duration(milliseconds(job.spec.timeout_ms));
  if (!job.spec.idempotency_key.empty()) j["idempotency_key"] = job.spec.idempotency_key;
  if (!job.result.empty()) j["result"] = json::parse(job.result, nullptr, false);
  if (job.spec.schedule_id) j["schedule_id"] = *job.spec.schedule_id;
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

}  // namespace hypersdk::engine
