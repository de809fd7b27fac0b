// Routes for operators and their tools: liveness, readiness, metrics and the config.
#include <chrono>

#include "api/errors.h"
#include "api/inline_health.h"
#include "api/route.h"
#include "api/server_state.h"
#include "ops/metrics.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
constexpr const char* kHealthJson = "application/health+json";

json check_entry(bool ok, const std::string& detail) {
  return json::array({{{"status", ok ? "pass" : "fail"}, {"output", detail}}});
}

void health(ServerState& state, httplib::Response& res) {
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now() - state.started())
                          .count();
  // The gate answers most health requests itself with the same body (inline_health.h).
  res.status = 200;
  res.set_content(health_body(uptime), kHealthJson);
}

void ready(ServerState& state, httplib::Response& res) {
  std::vector<ReadyCheck> checks;
  if (state.deps().readiness) {
    try {
      checks = state.deps().readiness();
    } catch (const std::exception& e) {
      checks.push_back({"readiness", false, std::string("readiness check threw: ") + e.what()});
    }
  }
  const bool draining = state.draining();
  checks.push_back({"draining", !draining, draining ? "shutting down: not taking new work" : ""});
  bool ok = true;
  json out = json::object();
  std::string reasons;  // every failing check with its reason, for a probe's log line
  for (auto& c : checks) {
    ok &= c.ok;
    if (!c.ok) {
      if (c.detail.empty()) c.detail = "check failed";
      reasons += (reasons.empty() ? "" : "; ") + c.name + ": " + c.detail;
    }
    if (out.contains(c.name)) {
      out[c.name].push_back(check_entry(c.ok, c.detail)[0]);
    } else {
      out[c.name] = check_entry(c.ok, c.detail);
    }
  }
  json body = {{"status", ok ? "pass" : "fail"}, {"version", HYPERSDK_VERSION}, {"checks", out}};
  if (!ok) body["output"] = reasons;
  write_json(res, ok ? 200 : 503, body, kHealthJson);
}

void metrics(ServerState& state, httplib::Response& res) {
  ops::Metrics* m = state.deps().metrics;
  if (m == nullptr) return write_error(res, 503, "unavailable", "metrics are not enabled");
  res.status = 200;
  res.set_content(m->serialize(), "text/plain; version=0.0.4; charset=utf-8");
}

void config(ServerState& state, httplib::Response& res) {
  if (!state.deps().config_json)
    return write_error(res, 503, "unavailable", "the configuration is not available here");
  write_json(res, 200, state.deps().config_json());
}

}  // namespace

std::vector<Route> ops_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"GET", "/api/v1/health", Access::open,
       [s](const httplib::Request&, httplib::Response& res) { health(*s, res); }},
      {"GET", "/api/v1/ready", Access::open,
       [s](const httplib::Request&, httplib::Response& res) { ready(*s, res); }},
      {"GET", "/api/v1/metrics", Access::open,
       [s](const httplib::Request&, httplib::Response& res) { metrics(*s, res); }},
      {"GET", "/api/v1/config", Access::admin,
       [s](const httplib::Request&, httplib::Response& res) { config(*s, res); }},
  };
}

}  // namespace hypersdk::api
