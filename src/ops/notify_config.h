// The `notifications:` section of the config (DESIGN §8): receivers by name and the ordered
// routes that pick them. Parsed from YAML with every problem named by its key path; the
// schema's checks (config_schema.cpp) and the notifier (src/notify/) share this parser, so
// `config validate` rejects exactly what serve would.
// Secrets (url, secret, routing_key, api_key, password) stay as written here: references
// ("env:NAME", "file:/path") are resolved by the notifier, never logged.
// Thread safety: plain values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "ops/config.h"

namespace hypersdk::ops {

struct ReceiverConfig {
  std::string name;
  std::string type;  // webhook | slack | pagerduty | opsgenie | email
  std::string url;   // the endpoint (slack: its incoming-webhook URL); may be a reference
  // webhook: Standard Webhooks secrets ("whsec_<base64>"); each signs, for key rotation.
  std::vector<std::string> secrets;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{10'000};
  bool allow_private = false;     // may reach loopback, private and link-local addresses
  bool hub_signature = false;     // also X-Hub-Signature-256 (GitHub style)
  bool legacy_signature = false;  // the spec's in-body "signature": "sha256=..."
  std::string body_template;      // webhook: {{event}}, {{job.id}}... instead of the JSON body
  double rate_per_second = 0;     // pacing per URL; 0 = none (slack defaults to 1)
  std::string routing_key;        // pagerduty
  std::string api_key;            // opsgenie
  // email: url smtp://host:port or smtps://host:port
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password;
  std::string tls = "starttls";  // starttls (required) | smtps (url scheme) | none
  // Non-critical events are batched into one message per interval; 0 = one message each.
  std::chrono::milliseconds digest{0};
  // retry: {max_attempts, base, cap} of this receiver; unset = notifications.retry.*.
  std::optional<int> max_attempts;
  std::optional<std::chrono::milliseconds> retry_base;
  std::optional<std::chrono::milliseconds> retry_cap;
};

struct RouteConfig {
  std::vector<std::string> events;      // globs: "job.failed", "job.*"; empty = any
  std::vector<std::string> severities;  // empty = any
  std::map<std::string, std::string> labels;
  std::optional<bool> retries_exhausted;  // job.failed conditions
  std::optional<bool> final;
  std::vector<std::string> receivers;
  bool continue_matching = false;  // `continue: true`: later routes may match too
};

struct NotifyConfig {
  std::map<std::string, ReceiverConfig> receivers;
  std::vector<RouteConfig> routes;
  std::vector<std::string> default_receivers;  // when no route matched
  int max_attempts = 8;
  std::chrono::milliseconds retry_base{5'000};
  std::chrono::milliseconds retry_cap{600'000};
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cooldown{60'000};
  std::chrono::milliseconds retention{30LL * 24 * 3600 * 1000};
};

// Schema checks of notifications.receivers and notifications.routes.
void check_notify_receivers(std::string_view key, const YAML::Node& v,
                            std::vector<ValueProblem>& out);
void check_notify_routes(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out);

// The section of a validated config, with the checks across keys (a route or default naming
// an unknown receiver). Error class invalid naming the key.
Result<NotifyConfig> notify_config(const Config& c);

}  // namespace hypersdk::ops
