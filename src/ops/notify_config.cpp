#include "ops/notify_config.h"

#include <set>

#include "ops/config_schema_detail.h"

namespace hypersdk::ops {
namespace {
using namespace schema_detail;

const std::set<std::string> kReceiverTypes = {"webhook", "slack", "pagerduty", "opsgenie", "email"};
const std::set<std::string> kReceiverFields = {"from",
                                               "to",
                                               "username",
                                               "password",
                                               "tls",
                                               "digest",
                                               "type",
                                               "url",
                                               "secret",
                                               "secrets",
                                               "headers",
                                               "timeout",
                                               "allow_private",
                                               "hub_signature",
                                               "legacy_signature",
                                               "body_template",
                                               "rate_per_second",
                                               "retry",
                                               "routing_key",
                                               "api_key"};
const std::set<std::string> kSeverities = {"critical", "warning", "info"};

// A receiver's own retry: {max_attempts, base, cap}, in the ranges of notifications.retry.*.
void parse_receiver_retry(const YAML::Node& n, const std::string& at, ReceiverConfig& r,
                          std::vector<ValueProblem>& out) {
  if (!n.IsMap()) {
    problem(out, n, at, "expected a mapping {max_attempts, base, cap}");
    return;
  }
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "max_attempts") {
      auto i = v.IsScalar() ? parse_int(v.Scalar()) : std::nullopt;
      if (!i || *i < 1 || *i > 100)
        problem(out, v, at + ".max_attempts",
                "expected an integer from 1 to 100, got " + describe(v));
      else
        r.max_attempts = static_cast<int>(*i);
    } else if (key == "base" || key == "cap") {
      auto d = v.IsScalar() ? parse_duration(v.Scalar()) : std::nullopt;
      if (!d || d->count() < 100 || d->count() > 24LL * 3600 * 1000)
        problem(out, v, at + "." + key, "expected a duration from 100ms to 1d, got " + describe(v));
      else
        (key == "base" ? r.retry_base : r.retry_cap) = *d;
    } else {
      problem(out, kv.first, at + "." + key, "unknown key (expected max_attempts, base or cap)");
    }
  }
}

std::optional<bool> parse_bool(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  const std::string s = lower(n.Scalar());
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  return std::nullopt;
}

// A scalar or a list of scalars.
std::vector<std::string> scalars(const YAML::Node& n, const std::string& key,
                                 std::vector<ValueProblem>& out) {
  std::vector<std::string> v;
  if (n.IsScalar()) {
    v.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (item.IsScalar())
        v.push_back(item.Scalar());
      else
        problem(out, item, key, "expected a name, got " + describe(item));
    }
  } else if (!n.IsNull()) {
    problem(out, n, key, "expected a name or a list of names, got " + describe(n));
  }
  return v;
}

std::map<std::string, ReceiverConfig> parse_receivers(std::string_view key, const YAML::Node& v,
                                                      std::vector<ValueProblem>& out) {
  std::map<std::string, ReceiverConfig> receivers;
  if (v.IsNull()) return receivers;
  if (!v.IsMap()) {
    problem(out, v, key, "expected a mapping of receiver name to {type, url, ...}");
    return receivers;
  }
  for (const auto& kv : v) {
    ReceiverConfig r;
    r.name = kv.first.Scalar();
    const std::string at = std::string(key) + "." + r.name;
    const YAML::Node& n = kv.second;
    if (!n.IsMap()) {
      problem(out, n, at, "expected {type, url, ...}, got " + describe(n));
      continue;
    }
    for (const auto& f : n)
      if (!kReceiverFields.count(f.first.Scalar()))
        problem(out, f.first, at, "unknown field '" + f.first.Scalar() + "'");
    if (!n["type"] || !n["type"].IsScalar() || !kReceiverTypes.count(n["type"].Scalar())) {
      problem(out, n["type"] ? n["type"] : n, at + ".type",
              "expected one of webhook, slack, pagerduty, opsgenie, email, got " +
                  (n["type"] ? describe(n["type"]) : std::string("nothing")));
      continue;
    }
    r.type = n["type"].Scalar();
    if (n["url"] && n["url"].IsScalar()) r.url = n["url"].Scalar();
    const bool url_needed = r.type == "webhook" || r.type == "slack" || r.type == "email";
    if (url_needed && r.url.empty())
      problem(out, n, at + ".url", "a " + r.type + " receiver needs a url");
    const bool is_ref = r.url.starts_with("env:") || r.url.starts_with("file:");
    if (r.type == "email") {
      if (!r.url.empty() && !is_ref && !r.url.starts_with("smtp://") &&
          !r.url.starts_with("smtps://"))
        problem(out, n["url"], at + ".url",
                "expected an smtp:// or smtps:// URL (or an env:/file: reference)");
    } else if (!r.url.empty() && !is_ref && !r.url.starts_with("http://") &&
               !r.url.starts_with("https://")) {
      problem(out, n["url"], at + ".url",
              "expected an http:// or https:// URL (or an env:/file: reference)");
    }
    if (r.type == "email") {
      if (n["from"] && n["from"].IsScalar()) r.from = n["from"].Scalar();
      if (n["to"]) r.to = scalars(n["to"], at + ".to", out);
      if (r.from.empty()) problem(out, n, at + ".from", "an email receiver needs a from address");
      if (r.to.empty()) problem(out, n, at + ".to", "an email receiver needs to: [addresses]");
      if (n["username"]) r.username = n["username"].Scalar();
      if (n["password"]) r.password = n["password"].Scalar();
      if (n["tls"]) {
        r.tls = n["tls"].Scalar();
        if (r.tls != "starttls" && r.tls != "smtps" && r.tls != "none")
          problem(out, n["tls"], at + ".tls",
                  "expected starttls (required), smtps or none, got " + describe(n["tls"]));
      } else if (r.url.starts_with("smtps://")) {
        r.tls = "smtps";
      }
      if (n["digest"]) {
        auto d = n["digest"].IsScalar() ? parse_duration(n["digest"].Scalar()) : std::nullopt;
        if (!d || d->count() < 0 || d->count() > 24LL * 3600 * 1000)
          problem(out, n["digest"], at + ".digest",
                  "expected a duration up to 1d (0 = no digest), got " + describe(n["digest"]));
        else
          r.digest = *d;
      }
    }
    for (const char* f : {"secret", "secrets"})
      if (n[f])
        for (auto& s : scalars(n[f], at + "." + f, out)) r.secrets.push_back(s);
    if (n["headers"]) {
      if (!n["headers"].IsMap())
        problem(out, n["headers"], at + ".headers", "expected a mapping of header to value");
      else
        for (const auto& h : n["headers"]) r.headers[h.first.Scalar()] = h.second.Scalar();
    }
    if (n["timeout"]) {
      auto d = n["timeout"].IsScalar() ? parse_duration(n["timeout"].Scalar()) : std::nullopt;
      if (!d || d->count() < 100 || d->count() > 300'000)
        problem(out, n["timeout"], at + ".timeout",
                "expected a duration from 100ms to 5m, got " + describe(n["timeout"]));
      else
        r.timeout = *d;
    }
    for (auto [f, dst] : {std::pair{"allow_private", &r.allow_private},
                          std::pair{"hub_signature", &r.hub_signature},
                          std::pair{"legacy_signature", &r.legacy_signature}}) {
      if (!n[f]) continue;
      auto b = parse_bool(n[f]);
      if (!b)
        problem(out, n[f], at + "." + f, "expected true or false, got " + describe(n[f]));
      else
        *dst = *b;
    }
    if (n["body_template"]) r.body_template = n["body_template"].Scalar();
    r.rate_per_second = r.type == "slack" ? 1.0 : 0.0;
    if (n["rate_per_second"]) {
      double rate = -1;
      try {
        rate = n["rate_per_second"].as<double>();
      } catch (const YAML::Exception&) {
      }
      if (rate < 0 || rate > 1000)
        problem(
            out, n["rate_per_second"], at + ".rate_per_second",
            "expected a number from 0 (unpaced) to 1000, got " + describe(n["rate_per_second"]));
      else
        r.rate_per_second = rate;
    }
    if (n["retry"]) parse_receiver_retry(n["retry"], at + ".retry", r, out);
    if (n["routing_key"]) r.routing_key = n["routing_key"].Scalar();
    if (n["api_key"]) r.api_key = n["api_key"].Scalar();
    if (r.type == "pagerduty" && r.routing_key.empty())
      problem(out, n, at + ".routing_key", "a pagerduty receiver needs a routing_key");
    if (r.type == "opsgenie" && r.api_key.empty())
      problem(out, n, at + ".api_key", "an opsgenie receiver needs an api_key");
    if (r.type == "pagerduty" && r.url.empty()) r.url = "https://events.pagerduty.com/v2/enqueue";
    if (r.type == "opsgenie" && r.url.empty()) r.url = "https://api.opsgenie.com/v2/alerts";
    receivers[r.name] = std::move(r);
  }
  return receivers;
}

std::vector<RouteConfig> parse_routes(std::string_view key, const YAML::Node& v,
                                      std::vector<ValueProblem>& out) {
  std::vector<RouteConfig> routes;
  if (v.IsNull()) return routes;
  if (!v.IsSequence()) {
    problem(out, v, key, "expected a list of {match, receivers, continue}");
    return routes;
  }
  int i = 0;
  for (const auto& n : v) {
    const std::string at = std::string(key) + "[" + std::to_string(i++) + "]";
    if (!n.IsMap()) {
      problem(out, n, at, "expected {match, receivers, continue}, got " + describe(n));
      continue;
    }
    RouteConfig r;
    for (const auto& f : n) {
      const std::string name = f.first.Scalar();
      if (name != "match" && name != "receivers" && name != "continue")
        problem(out, f.first, at,
                "unknown field '" + name + "' (expected match, receivers, continue)");
    }
    if (const YAML::Node m = n["match"]; m) {
      if (!m.IsMap()) {
        problem(out, m, at + ".match", "expected a mapping, got " + describe(m));
      } else {
        for (const auto& f : m) {
          const std::string name = f.first.Scalar();
          const std::string fat = at + ".match." + name;
          if (name == "event") {
            r.events = scalars(f.second, fat, out);
          } else if (name == "severity") {
            r.severities = scalars(f.second, fat, out);
            for (const auto& s : r.severities)
              if (!kSeverities.count(s))
                problem(out, f.second, fat, "expected critical, warning or info, got '" + s + "'");
          } else if (name == "labels") {
            if (!f.second.IsMap())
              problem(out, f.second, fat, "expected a mapping of label to value");
            else
              for (const auto& l : f.second) r.labels[l.first.Scalar()] = l.second.Scalar();
          } else if (name == "retries_exhausted" || name == "final") {
            auto b = parse_bool(f.second);
            if (!b)
              problem(out, f.second, fat, "expected true or false, got " + describe(f.second));
            else
              (name == "final" ? r.final : r.retries_exhausted) = *b;
          } else {
            problem(out, f.first, at + ".match",
                    "unknown matcher '" + name +
                        "' (expected event, severity, labels, retries_exhausted, final)");
          }
        }
      }
    }
    if (n["receivers"]) r.receivers = scalars(n["receivers"], at + ".receivers", out);
    if (r.receivers.empty()) problem(out, n, at + ".receivers", "a route needs receivers");
    if (n["continue"]) {
      auto b = parse_bool(n["continue"]);
      if (!b)
        problem(out, n["continue"], at + ".continue", "expected true or false");
      else
        r.continue_matching = *b;
    }
    routes.push_back(std::move(r));
  }
  return routes;
}

}  // namespace

void check_notify_receivers(std::string_view key, const YAML::Node& v,
                            std::vector<ValueProblem>& out) {
  (void)parse_receivers(key, v, out);
}

void check_notify_routes(std::string_view key, const YAML::Node& v,
                         std::vector<ValueProblem>& out) {
  (void)parse_routes(key, v, out);
}

Result<NotifyConfig> notify_config(const Config& c) {
  NotifyConfig n;
  std::vector<ValueProblem> problems;
  n.receivers =
      parse_receivers("notifications.receivers", c.get_node("notifications.receivers"), problems);
  n.routes = parse_routes("notifications.routes", c.get_node("notifications.routes"), problems);
  n.default_receivers = c.get_list("notifications.default_receivers");
  n.max_attempts = static_cast<int>(c.get_int("notifications.retry.max_attempts"));
  n.retry_base = c.get_duration("notifications.retry.base");
  n.retry_cap = c.get_duration("notifications.retry.cap");
  n.breaker_failures = static_cast<int>(c.get_int("notifications.circuit_breaker.failures"));
  n.breaker_cooldown = c.get_duration("notifications.circuit_breaker.cooldown");
  n.retention = c.get_duration("retention.notifications");
  std::string msg;
  for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p.message;
  for (std::size_t i = 0; i < n.routes.size(); ++i)
    for (const auto& r : n.routes[i].receivers)
      if (!n.receivers.count(r))
        msg += (msg.empty() ? "" : "\n") + std::string("notifications.routes[") +
               std::to_string(i) + "].receivers: unknown receiver '" + r +
               "' (not in notifications.receivers)";
  for (const auto& r : n.default_receivers)
    if (!n.receivers.count(r))
      msg += (msg.empty() ? "" : "\n") + std::string("notifications.default_receivers: ") +
             "unknown receiver '" + r + "' (not in notifications.receivers)";
  if (!msg.empty()) return make_error(ErrorClass::invalid, msg);
  return n;
}

}  // namespace hypersdk::ops
