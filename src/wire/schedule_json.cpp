#include "wire/schedule_json.h"

#include <set>

#include "ops/config_schema.h"
#include "wire/fields.h"
#include "wire/job_json.h"
#include "wire/json_limits.h"

namespace hypersdk::wire {
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

Result<std::string> string_field(const json& body, const char* key) {
  return wire::string_field(body[key], key, kMaxShortString);
}

std::string time_ms(core::TimeMs t) {
  return core::format_time(t);
}

}  // namespace

Result<std::vector<std::string>> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quote == '\'') {
      if (ch == '\'')
        quote = 0;
      else
        word += ch;
    } else if (quote == '"') {
      if (ch == '"') {
        quote = 0;
      } else if (ch == '\\' && i + 1 < line.size() &&
                 (line[i + 1] == '"' || line[i + 1] == '\\' || line[i + 1] == '$' ||
                  line[i + 1] == '`')) {
        word += line[++i];
      } else {
        word += ch;
      }
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      in_word = true;
      if (ch == '\'' || ch == '"')
        quote = ch;
      else if (ch == '\\' && i + 1 < line.size())
        word += line[++i];
      else
        word += ch;
    }
  }
  if (quote)
    return invalid_error("command \"" + std::string(line) + "\": unterminated " + quote + " quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<core::ScheduleSpec> parse_schedule_request(const json& body, const core::ScheduleSpec& base,
                                                  bool create) {
  static const std::set<std::string> kKeys{
      "name",         "cron",        "timezone", "type",           "payload",
      "command",      "target",      "provider", "priority",       "timeout",
      "retry",        "max_retries", "window",   "days",           "holidays",
      "window_close", "overlap",     "catchup",  "catchup_window", "max_catchup_runs",
      "dst_gap",      "dst_fold",    "enabled",  "workflow",       "params"};
  if (!body.is_object()) return invalid_error("the request body must be a JSON object");
  if (Status s = check_document(body); !s.ok()) return s.error();
  for (const auto& [k, v] : body.items())
    if (!kKeys.count(k)) return invalid_error("unknown key \"" + shorten(k) + "\"");
  core::ScheduleSpec spec = base;
  if (create) {
    if (!body.contains("name")) return invalid_error("\"name\" is required (--name)");
    if (!body.contains("cron"))
      return invalid_error("\"cron\" is required (--cron), e.g. \"0 2 * * *\"");
    if (!body.contains("type") && !body.contains("command") && !body.contains("workflow"))
      return invalid_error(
          "\"type\" is required (--type), e.g. exec, backup, full or incremental; or "
          "\"workflow\" (--workflow), a workflow template");
  }
  for (auto [key, field] : {std::pair{"name", &spec.name}, std::pair{"cron", &spec.cron},
                            std::pair{"timezone", &spec.timezone},
                            std::pair{"window", &spec.window}, std::pair{"days", &spec.days}}) {
    if (!body.contains(key)) continue;
    auto v = string_field(body, key);
    if (!v) return v.error();
    *field = *v;
  }

  // The job part: type, payload, command.
  json payload = stored_json(spec.payload);
  if (!payload.is_object()) payload = json::object();
  if (body.contains("payload")) {
    if (!body["payload"].is_object()) return invalid_error("\"payload\" must be an object");
    payload = body["payload"];
  }
  // A workflow schedule (type "workflow"): each occurrence runs a template; the payload holds
  // {"workflow": NAME, "params": {k: v}} (engine/schedule_runs.h).
  const bool was_workflow = spec.job_type == "workflow";
  if (body.contains("workflow")) {
    auto w = string_field(body, "workflow");
    if (!w) return w.error();
    if (w->empty()) return invalid_error("\"workflow\" must name a workflow template");
    if (body.contains("type") && body["type"] != "workflow")
      return invalid_error("give either \"type\" or \"workflow\", not both");
    if (body.contains("payload") || body.contains("command"))
      return invalid_error("a workflow schedule takes \"params\", not a payload or command");
    json params = was_workflow && payload.contains("params") ? payload["params"] : json::object();
    payload = json{{"workflow", *w}, {"params", params}};
    spec.job_type = "workflow";
  } else if (body.contains("type")) {
    auto t = string_field(body, "type");
    if (!t) return t.error();
    // A type replaces the workflow of a workflow schedule (update).
    if (was_workflow && !body.contains("payload")) payload = json::object();
    if (core::is_backup_kind(*t)) {
      spec.job_type = "backup";
      payload["kind"] = *t;
    } else {
      spec.job_type = *t;
    }
  } else if (create) {
    spec.job_type = "exec";
  }
  if (body.contains("params")) {
    const json& p = body["params"];
    if (!p.is_object()) return invalid_error("\"params\" must be an object of strings");
    for (const auto& [k, v] : p.items())
      if (!v.is_string())
        return invalid_error("\"params\": the value of \"" + shorten(k) + "\" must be a string");
    if (spec.job_type != "workflow")
      return invalid_error("\"params\" are for workflow schedules (--workflow NAME)");
    payload["params"] = p;
  }
  if (body.contains("command")) {
    const json& c = body["command"];
    std::vector<std::string> argv;
    if (c.is_string()) {
      auto line = wire::string_field(c, "command", kMaxString);
      if (!line) return line.error();
      auto words = split_command_line(*line);
      if (!words) return words.error();
      argv = *words;
    } else if (c.is_array()) {
      for (const auto& w : c) {
        auto word = wire::string_field(w, "command[]", kMaxString);
        if (!word) return word.error();
        argv.push_back(std::move(*word));
      }
      // One element holding spaces is a command line (`--command "echo hi"`).
      if (argv.size() == 1 && argv[0].find_first_of(" \t") != std::string::npos) {
        auto words = split_command_line(argv[0]);
        if (!words) return words.error();
        argv = *words;
      }
    } else {
      return invalid_error("\"command\" must be a list of strings or a command line");
    }
    if (argv.empty()) return invalid_error("\"command\" is empty");
    if (spec.job_type != "exec")
      return invalid_error("\"command\" is for exec schedules; this one's type is " +
                           spec.job_type);
    payload["argv"] = argv;
  }
  spec.payload = payload.dump();

  // Retry, timeout, priority, target and provider parse exactly as for a job.
  json job{{"type", spec.job_type}};
  for (const char* key : {"retry", "max_retries", "timeout", "priority", "target", "provider"})
    if (body.contains(key)) job[key] = body[key];
  auto parsed = parse_job_request(job, spec.retry);
  if (!parsed) return parsed.error();
  spec.retry = parsed->retry;
  if (body.contains("timeout")) spec.timeout_ms = parsed->timeout_ms;
  if (body.contains("priority")) spec.priority = parsed->priority;
  if (body.contains("target")) spec.target = parsed->target;
  if (body.contains("provider")) spec.provider = parsed->provider;

  if (body.contains("holidays")) {
    auto h = holiday_list(body["holidays"]);
    if (!h) return h.error();
    spec.holidays = *h;
  }
  if (body.contains("window_close")) {
    auto v = string_field(body, "window_close");
    if (!v) return v.error();
    auto c = core::parse_window_close(*v);
    if (!c) return c.error();
    spec.window_close = *c;
  }
  if (body.contains("overlap")) {
    auto v = string_field(body, "overlap");
    if (!v) return v.error();
    auto p = core::parse_overlap_policy(*v);
    if (!p) return p.error();
    spec.overlap = *p;
  }
  if (body.contains("catchup")) {
    auto v = string_field(body, "catchup");
    if (!v) return v.error();
    auto p = core::parse_catchup_policy(*v);
    if (!p) return p.error();
    spec.catchup = *p;
  }
  if (body.contains("catchup_window")) {
    auto d = duration_field(body["catchup_window"], "catchup_window");
    if (!d) return d.error();
    spec.catchup_window = *d;
  }
  if (body.contains("max_catchup_runs")) {
    auto n = int_field(body["max_catchup_runs"], "max_catchup_runs", 1, core::kMaxCatchupRunsLimit);
    if (!n) return n.error();
    spec.max_catchup_runs = static_cast<int>(*n);
  }
  if (body.contains("dst_gap")) {
    auto v = string_field(body, "dst_gap");
    if (!v) return v.error();
    auto g = core::parse_dst_gap(*v);
    if (!g) return g.error();
    spec.dst_gap = *g;
  }
  if (body.contains("dst_fold")) {
    auto v = string_field(body, "dst_fold");
    if (!v) return v.error();
    auto f = core::parse_dst_fold(*v);
    if (!f) return f.error();
    spec.dst_fold = *f;
  }
  if (body.contains("enabled")) {
    if (!body["enabled"].is_boolean()) return invalid_error("\"enabled\" must be true or false");
    spec.enabled = body["enabled"].get<bool>();
  }
  return spec;
}

json schedule_to_json(const core::Schedule& s) {
  const core::ScheduleSpec& p = s.spec;
  json j{
      {"id", s.id},
      {"name", p.name},
      {"cron", p.cron},
      {"timezone", p.timezone},
      {"type", p.job_type},
      {"payload", stored_json(p.payload)},
      {"target", p.target},
      {"provider", p.provider},
      {"priority", p.priority},
      {"max_retries", p.retry.max_retries},
      {"retry",
       {{"backoff", std::string(core::to_string(p.retry.kind))},
        {"base", ops::format_duration(p.retry.base)},
        {"cap", ops::format_duration(p.retry.cap)}}},
      {"window", p.window.empty() ? json(nullptr) : json(p.window)},
      {"days", p.days},
      {"holidays", p.holidays},
      {"window_close", std::string(core::to_string(p.window_close))},
      {"overlap", std::string(core::to_string(p.overlap))},
      {"catchup", std::string(core::to_string(p.catchup))},
      {"catchup_window", ops::format_duration(p.catchup_window)},
      {"max_catchup_runs", p.max_catchup_runs},
      {"dst_gap", std::string(core::to_string(p.dst_gap))},
      {"dst_fold", std::string(core::to_string(p.dst_fold))},
      {"enabled", p.enabled},
      {"paused", s.paused},
      {"cursor", time_ms(s.cursor_ms)},
      {"created_at", time_ms(s.created_at)},
      {"updated_at", time_ms(s.updated_at)},
  };
  if (p.timeout_ms > 0) j["timeout"] = ops::format_duration(milliseconds(p.timeout_ms));
  // A workflow schedule names its template and params (kept in its payload).
  const json& payload = j["payload"];
  j["workflow"] = p.job_type == "workflow" && payload.is_object() && payload.contains("workflow")
                      ? payload["workflow"]
                      : json(nullptr);
  if (j["workflow"].is_string())
    j["params"] = payload.contains("params") ? payload["params"] : json::object();
  json next = nullptr;
  if (s.active()) {
    auto fires = schedule_next_fires(
        s,
        date::floor<std::chrono::seconds>(date::sys_time<milliseconds>(milliseconds(s.cursor_ms))),
        1);
    auto zone = core::find_zone(p.timezone);
    if (!fires.empty() && zone) next = fire_to_json(fires.front(), *zone);
  }
  j["next_fire"] = next;
  return j;
}

json occurrence_to_json(const store::Occurrence& o) {
  json j{{"nominal_utc", time_ms(o.nominal_utc)},
         {"nominal_local", o.nominal_local},
         {"dst_shifted", o.dst_shifted},
         {"fold_second", o.fold_second},
         {"outcome", std::string(store::to_string(o.outcome))},
         {"reason", o.reason},
         {"job_id", o.job_id ? json(core::format_job_id(*o.job_id)) : json(nullptr)},
         {"recorded_at", time_ms(o.recorded_at)}};
  return j;
}

json audit_to_json(const store::AuditEntry& a) {
  return {{"id", a.id},
          {"at", time_ms(a.at)},
          {"actor", a.actor},
          {"action", a.action},
          {"subject", a.subject},
          {"reason", a.reason},
          {"job_id", a.job_id ? json(core::format_job_id(*a.job_id)) : json(nullptr)},
          {"details", stored_json(a.details)}};
}

json fire_to_json(const core::Fire& f, const date::time_zone* zone) {
  const auto info = zone ? zone->get_info(f.utc) : date::sys_info{};
  const auto local = date::local_seconds{f.utc.time_since_epoch() + info.offset};
  const auto off = std::chrono::duration_cast<std::chrono::minutes>(info.offset).count();
  char offset[8];
  std::snprintf(offset, sizeof offset, "%c%02d:%02d", off < 0 ? '-' : '+',
                static_cast<int>(std::abs(off) / 60), static_cast<int>(std::abs(off) % 60));
  return {{"utc", date::format("%FT%TZ", f.utc)},
          {"local", date::format("%FT%T", local) + offset},
          {"zone_abbrev", zone ? info.abbrev : std::string("UTC")},
          {"nominal_local", date::format("%FT%T", f.nominal_local)},
          {"dst_shifted", f.dst_shifted},
          {"fold_second", f.fold_second},
          {"repeated_hour",
           zone && zone->get_info(f.nominal_local).result == date::local_info::ambiguous}};
}

std::vector<core::Fire> schedule_next_fires(const core::Schedule& s, std::chrono::sys_seconds after,
                                            std::size_t count) {
  auto c = core::compile_schedule(s.spec);
  if (!c) return {};
  return core::next_fires(c->cron, c->zone, after, count, s.spec.dst_gap, s.spec.dst_fold);
}

}  // namespace hypersdk::wire
