// Internal to src/api: a route table entry and the helpers every handler shares (JSON
// answers, body and query parsing). Handlers are thin: parse, call the JobService, render.
//
// A route's `path` is its template ("/api/v1/jobs/{id}"); it is what metrics and the access
// log show, and {name} segments match one path segment, read back with path_param().
//
// Thread safety: handlers run on the HTTP server's threads, many at once; they keep no state
// of their own beyond what ServerState guards.
#pragma once

#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/auth.h"
#include "core/error.h"
#include "core/job.h"

namespace hypersdk::api {

class ServerState;

enum class Access {
  open,  // no token needed and never throttled: probes and scrapes (health, ready, metrics)
  read,
  operate,
  admin,
};

using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

struct Route {
  std::string method;  // "GET", "POST", "DELETE"
  std::string path;    // template, e.g. "/api/v1/jobs/{id}/cancel"
  Access access = Access::read;
  RouteHandler handler;
};

std::vector<Route> ops_routes(ServerState& state);  // health, ready, metrics, config
std::vector<Route> job_routes(ServerState& state);
std::vector<Route> dlq_routes(ServerState& state);
std::vector<Route> schedule_routes(ServerState& state);  // schedule_routes.cpp
std::vector<Route> workflow_routes(ServerState& state);  // workflow_routes.cpp
std::vector<Route> provider_routes(ServerState& state);  // provider_routes.cpp
std::vector<Route> target_routes(ServerState& state);    // target_routes.cpp
std::vector<Route> audit_routes(ServerState& state);     // audit_routes.cpp
std::vector<Route> cluster_routes(ServerState& state);   // cluster_routes.cpp

// The audit trail's name for a route's action: "jobs.cancel", "schedules.update", ...
std::string audit_action(const std::string& method, const std::string& path_template);
// Records a mutating request that succeeded, and any request refused for its token's role
// (403, "auth.denied"), in deps().audit (audit_routes.cpp). Successful reads and other
// failures are not recorded.
void audit_request(ServerState& state, const Route& route, const httplib::Request& req,
                   const httplib::Response& res, const std::string& principal,
                   const std::string& request_id);
std::vector<Route> web_routes(ServerState& state);        // web_routes.cpp: openapi.json
std::vector<Route> dashboard_routes(ServerState& state);  // dashboard_routes.cpp

// "open" | "read" | "operate" | "admin"
std::string_view to_string(Access a);

// The regular expression httplib matches for a template: {name} -> ([^/]+).
std::string route_pattern(const std::string& path_template);

void write_json(httplib::Response& res, int status, const nlohmann::json& body,
                const std::string& content_type = "application/json");

// The body as JSON within wire/json_limits.h's bounds (depth, NUL, numbers that fit); error
// class invalid naming the rule, or the line and column of a syntax error.
Result<nlohmann::json> parse_json_body(const httplib::Request& req);

// The n-th {param} of the path (1-based) as a job id ("j-42" or "42"); error class invalid.
Result<core::JobId> path_job_id(const httplib::Request& req, std::size_t n = 1);

// An integer query parameter in [min, max], or `fallback` when absent; error class invalid.
Result<std::int64_t> int_param(const httplib::Request& req, const std::string& name,
                               std::int64_t fallback, std::int64_t min, std::int64_t max);

}  // namespace hypersdk::api
