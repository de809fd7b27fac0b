#include "notify/channels.h"

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/time_text.h"
#include "notify/signing.h"

namespace hypersdk::notify {

namespace {

using nlohmann::json;

std::string message_id(const OutgoingEvent& e) {
  return "evt-" + std::to_string(e.id);
}

// "2026-04-02T14:30:00Z", the spec's form (seconds).
std::string spec_time(core::TimeMs t) {
  std::string s = core::format_time(t - t % 1000);
  if (auto dot = s.find('.'); dot != std::string::npos) s = s.substr(0, dot) + "Z";
  return s;
}

json event_json(const OutgoingEvent& e) {
  json p = json::parse(e.payload, nullptr, false);
  if (!p.is_object()) p = json::object();
  p["id"] = message_id(e);
  p["event"] = e.kind;
  p["timestamp"] = spec_time(e.at);
  p["severity"] = e.severity;
  return p;
}

// {{event}}, {{job.id}}, {{severity}}...: dotted paths into the outgoing JSON; objects are
// inserted as JSON text, missing paths as nothing.
std::string render_template(const std::string& tpl, const json& p) {
  std::string out;
  std::size_t i = 0;
  while (i < tpl.size()) {
    auto open = tpl.find("{{", i);
    if (open == std::string::npos) break;
    auto close = tpl.find("}}", open);
    if (close == std::string::npos) break;
    out += tpl.substr(i, open - i);
    std::string path = tpl.substr(open + 2, close - open - 2);
    while (!path.empty() && path.front() == ' ') path.erase(0, 1);
    while (!path.empty() && path.back() == ' ') path.pop_back();
    const json* node = &p;
    std::size_t start = 0;
    while (node && start <= path.size()) {
      auto dot = path.find('.', start);
      const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
      node = node->is_object() && node->contains(part) ? &(*node)[part] : nullptr;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (node) out += node->is_string() ? node->get<std::string>() : node->dump();
    i = close + 2;
  }
  return out + tpl.substr(std::min(i, tpl.size()));
}

std::string summary(const json& p) {
  const std::string kind = p.value("event", "");
  if (p.contains("job") && p["job"].is_object()) {
    const json& j = p["job"];
    std::string s = kind + ": job " + j.value("id", "") + " (" + j.value("type", "") + ")";
    if (!j.value("vm_name", "").empty()) s += " on " + j.value("vm_name", "");
    if (p.contains("error") && p["error"].is_object() && !p["error"].value("message", "").empty())
      s += ": " + p["error"].value("message", "");
    return s;
  }
  if (p.contains("schedule")) return kind + ": schedule " + p["schedule"].dump();
  if (p.contains("name")) return kind + ": " + p.value("name", "");
  return kind;
}

HttpRequest webhook(const Receiver& r, const OutgoingEvent& e, core::TimeMs now) {
  HttpRequest req;
  json p = event_json(e);
  if (!r.config.body_template.empty()) {
    req.body = render_template(r.config.body_template, p);
    req.content_type = r.config.headers.count("Content-Type") ? r.config.headers.at("Content-Type")
                                                              : "text/plain; charset=utf-8";
  } else {
    if (r.config.legacy_signature && !r.keys.empty())
      p["signature"] = hub_signature(r.keys.front(), p.dump());
    req.body = p.dump();
  }
  for (const auto& [k, v] : r.config.headers)
    if (k != "Content-Type") req.headers[k] = v;
  const long long ts = now / 1000;
  req.headers["webhook-id"] = message_id(e);
  req.headers["webhook-timestamp"] = std::to_string(ts);
  if (!r.keys.empty()) {
    req.headers["webhook-signature"] = standard_signature(r.keys, message_id(e), ts, req.body);
    if (r.config.hub_signature)
      req.headers["X-Hub-Signature-256"] = hub_signature(r.keys.front(), req.body);
  }
  return req;
}

std::string slack_colour(const OutgoingEvent& e) {
  if (e.kind == "job.completed" || e.kind == "workflow.succeeded") return "good";  // green
  if (e.severity == "critical") return "danger";                                   // red
  if (e.severity == "warning") return "warning";                                   // orange
  if (e.kind == "job.failed") return "danger";
  return "#439FE0";
}

HttpRequest slack(const Receiver& r, const OutgoingEvent& e) {
  const json p = event_json(e);
  json fields = json::array();
  auto field = [&](const char* title, const std::string& value) {
    if (!value.empty()) fields.push_back({{"title", title}, {"value", value}, {"short", true}});
  };
  if (p.contains("job") && p["job"].is_object()) {
    const json& j = p["job"];
    field("Job", j.value("id", ""));
    field("Status", j.value("status", ""));
    field("Type", j.value("type", ""));
    if (j.contains("duration_seconds")) field("Duration", j["duration_seconds"].dump() + " s");
    field("Provider", j.value("provider", ""));
    field("VM", j.value("vm_name", ""));
  }
  if (p.contains("schedule") && p["schedule"].is_string())
    field("Schedule", p["schedule"].get<std::string>());
  field("Severity", e.severity);
  json attachment{{"color", slack_colour(e)},
                  {"fallback", summary(p)},
                  {"title", summary(p)},
                  {"fields", fields},
                  {"ts", e.at / 1000}};
  if (!r.public_url.empty() && p.contains("job") && p["job"].is_object() &&
      p["job"].contains("id") && p["job"]["id"].is_string())
    attachment["title_link"] = r.public_url + "/api/v1/jobs/" + p["job"]["id"].get<std::string>();
  HttpRequest req;
  req.body = json{{"text", summary(p)}, {"attachments", json::array({attachment})}}.dump();
  return req;
}

// One alert per schedule (a later success of the same schedule resolves it), else per job.
std::string dedup_key(const json& p, const OutgoingEvent& e) {
  if (p.contains("schedule") && p["schedule"].is_string())
    return "hypersdk/schedule/" + p["schedule"].get<std::string>();
  if (p.contains("job") && p["job"].is_object()) return "hypersdk/job/" + p["job"].value("id", "");
  return "hypersdk/" + e.kind + "/" + e.subject;
}

bool resolves(const OutgoingEvent& e) {
  return e.kind == "job.completed" || e.kind == "workflow.succeeded";
}

HttpRequest pagerduty(const Receiver& r, const OutgoingEvent& e) {
  const json p = event_json(e);
  json body{{"routing_key", r.routing_key},
            {"event_action", resolves(e) ? "resolve" : "trigger"},
            {"dedup_key", dedup_key(p, e)}};
  if (!resolves(e))
    body["payload"] = {{"summary", summary(p)},
                       {"source", "hypersdk"},
                       {"severity", e.severity == "critical"  ? "critical"
                                    : e.severity == "warning" ? "warning"
                                                              : "info"},
                       {"timestamp", p["timestamp"]},
                       {"custom_details", p}};
  HttpRequest req;
  req.url = r.url;
  req.body = body.dump();
  return req;
}

HttpRequest opsgenie(const Receiver& r, const OutgoingEvent& e) {
  const json p = event_json(e);
  HttpRequest req;
  const std::string alias = dedup_key(p, e);
  req.headers["Authorization"] = "GenieKey " + r.api_key;
  if (resolves(e)) {
    // The alias is a path segment: percent-encode what is not unreserved.
    std::string enc;
    for (unsigned char c : alias) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        enc += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        enc += buf;
      }
    }
    req.url = r.url + "/" + enc + "/close?identifierType=alias";
    req.body = json{{"source", "hypersdk"}, {"note", summary(p)}}.dump();
  } else {
    req.url = r.url;
    req.body = json{{"message", summary(p).substr(0, 130)},
                    {"alias", alias},
                    {"source", "hypersdk"},
                    {"priority", e.severity == "critical"  ? "P1"
                                 : e.severity == "warning" ? "P3"
                                                           : "P5"},
                    {"details", {{"event", e.kind}, {"id", p["id"]}}}}
                   .dump();
  }
  return req;
}

Result<std::string> resolve_field(const ops::ReceiverConfig& c, const char* field,
                                  const std::string& value, const ops::EnvMap& env) {
  auto v = ops::resolve_secret(value, env);
  if (!v)
    return make_error(ErrorClass::invalid,
                      "notifications.receivers." + c.name + "." + field + ": " + v.error().message);
  return *v;
}

}  // namespace

Result<Receiver> resolve_receiver(const ops::ReceiverConfig& config, const ops::EnvMap& env) {
  Receiver r;
  r.config = config;
  auto url = resolve_field(config, "url", config.url, env);
  if (!url) return url.error();
  r.url = *url;
  for (const auto& s : config.secrets) {
    auto secret = resolve_field(config, "secret", s, env);
    if (!secret) return secret.error();
    auto key = webhook_key(*secret);
    if (!key)
      return make_error(ErrorClass::invalid, "notifications.receivers." + config.name +
                                                 ".secret: " + key.error().message);
    r.keys.push_back(*key);
  }
  if (!config.routing_key.empty()) {
    auto k = resolve_field(config, "routing_key", config.routing_key, env);
    if (!k) return k.error();
    r.routing_key = *k;
  }
  if (!config.password.empty()) {
    auto k = resolve_field(config, "password", config.password, env);
    if (!k) return k.error();
    r.password = *k;
  }
  if (!config.api_key.empty()) {
    auto k = resolve_field(config, "api_key", config.api_key, env);
    if (!k) return k.error();
    r.api_key = *k;
  }
  return r;
}

OutgoingEvent outgoing(const store::Delivery& d) {
  return {d.event_id, d.event_kind, d.severity, d.subject, d.payload, d.event_at};
}

HttpRequest build_request(const Receiver& r, const OutgoingEvent& e, core::TimeMs now_ms) {
  HttpRequest req;
  if (r.config.type == "slack")
    req = slack(r, e);
  else if (r.config.type == "pagerduty")
    req = pagerduty(r, e);
  else if (r.config.type == "opsgenie")
    req = opsgenie(r, e);
  else
    req = webhook(r, e, now_ms);
  if (req.url.empty()) req.url = r.url;
  req.timeout = r.config.timeout;
  req.allow_private = r.config.allow_private;
  return req;
}

}  // namespace hypersdk::notify
