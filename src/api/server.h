// The HTTP API of hypersdk serve (DESIGN §10): JSON under /api/v1, bearer tokens with roles,
// per-client rate limits, request ids, Prometheus metrics and Server-Sent Events for live
// job logs. Built on cpp-httplib; one ApiServer owns its listening socket, a bounded pool of
// request threads, two threads for /health and /ready, one gate thread that waits for
// requests to arrive (gated_server.h) and one accept thread.
//
// Routes (all under /api/v1):
//   GET    /health                 liveness, application/health+json; no token, not throttled
//   GET    /ready                  readiness: deps.readiness() checks + "draining"; 200 or 503
//   GET    /metrics                Prometheus text 0.0.4 from deps.metrics
//   POST   /jobs                   submit (Idempotency-Key header honoured)         operate
//   GET    /jobs                   ?status=&type=&limit=&cursor=                    read
//   GET    /jobs/{id}                                                               read
//   GET    /jobs/{id}/logs         ?after=&limit=; ?follow=1 streams SSE            read
//   POST   /jobs/{id}/cancel, /jobs/{id}/retry                                      operate
//   GET    /dlq, /dlq/{id}                                                          read
//   POST   /dlq/{id}/replay                                                         operate
//   DELETE /dlq/{id}, /dlq          purge one or all                                admin
//   GET    /config                 the effective config, redacted                   admin
//   /schedules, /schedules/{name}[/pause|/resume|/run|/next]: see schedule_routes.cpp
//   GET    /audit                  the audit trail (audit_routes.cpp)                admin
//   GET /targets, POST /targets/{name}/test: see target_routes.cpp
//   GET    /openapi.json           this API's OpenAPI 3.1 document (docs/openapi.json)  open
// Errors are {"error":{"code","message","request_id"}} (api/errors.h). Every response has
// X-Request-ID; every log line written while handling a request has http.request.id.
//
// Auth: with no tokens, requests need none — allowed only on a loopback address unless
// allow_remote_without_token. With tokens, every route but health, ready and metrics needs
// "Authorization: Bearer <token>" of a sufficient role (401 without, 403 too weak).
//
// Thread safety: start(), stop() and the destructor must be called from one owning thread;
// set_draining(), draining() and port() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/auth.h"
#include "core/error.h"
#include "ops/paths.h"

namespace hypersdk::engine {
class JobService;
class ScheduleService;
class WorkflowService;
class AuditTrail;
class NotificationService;
}  // namespace hypersdk::engine
namespace hypersdk::targets {
class TargetRegistry;
}  // namespace hypersdk::targets
namespace hypersdk::providers {
class ProviderRegistry;
}
namespace hypersdk::store {
class BackupStore;
class StoreBackend;
}  // namespace hypersdk::store
namespace hypersdk::ops {
class Config;
class Metrics;
}  // namespace hypersdk::ops

namespace hypersdk::api {

class TlsCredentials;  // tls_context.h

// One readiness check; shown in /ready as checks[name] = [{"status","output"}].
struct ReadyCheck {
  std::string name;  // e.g. "database:reachable", "workers:alive"
  bool ok = true;
  std::string detail;  // why it failed, or an observation
};

struct ApiConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::vector<Token> tokens;              // secrets already resolved
  int rate_per_second = 50;               // per client (token name, else remote address)
  int burst = 100;
  std::string tls_cert, tls_key;  // both set: HTTPS
  bool allow_remote_without_token = false;
  int threads = 8;                       // HTTP request threads; SSE streams may use all but two
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::chrono::seconds read_timeout{10}, write_timeout{10};
  // A plain-HTTP request (head and a body up to 16 KiB) must arrive within this, or 408;
  // until then it holds no request thread (gated_server.h).
  std::chrono::milliseconds head_timeout{5000};
  // Origins (scheme://host[:port]) whose browser scripts may call the API (CORS); empty:
  // no CORS headers at all, so browsers keep other sites' scripts out.
  std::vector<std::string> cors_origins;
};

struct ApiDeps {
  engine::JobService& jobs;
  ops::Metrics* metrics = nullptr;  // nullptr: /metrics answers 503, nothing is recorded
  // Runs on each GET /ready (on an HTTP thread; keep it bounded in time). Empty: no checks
  // beyond draining.
  std::function<std::vector<ReadyCheck>()> readiness;
  // GET /config; must return already-redacted values. Empty: /config answers 503.
  std::function<nlohmann::json()> config_json;
  // /schedules and /audit (schedule_routes.cpp); nullptr: they answer 503.
  engine::ScheduleService* schedules = nullptr;
  // /workflows (workflow_routes.cpp); nullptr: they answer 503.
  engine::WorkflowService* workflows = nullptr;
  // The audit trail: mutating requests are recorded here, GET /audit reads it; nullptr:
  // nothing is recorded and /audit answers 503.
  engine::AuditTrail* audit = nullptr;
  // /targets (target_routes.cpp); nullptr: they answer 503.
  targets::TargetRegistry* targets = nullptr;
  // /providers and /backups (provider_routes.cpp); nullptr: they answer 503.
  providers::ProviderRegistry* providers = nullptr;
  store::BackupStore* backups = nullptr;
  // /notifications (notification_routes.cpp); nullptr: they answer 503.
  engine::NotificationService* notifications = nullptr;
  // GET /api/v1/dashboard (dashboard_routes.cpp): the success rates are read from this
  // database (SQLite or PostgreSQL); nullptr: /dashboard answers 503.
  store::StoreBackend* database = nullptr;
  // What only the serving process knows, for /dashboard: {"workers": {"busy", "total"},
  // "disk": [{"path_kind", "path", "free_bytes"}]}. Empty: those fields are absent.
  std::function<nlohmann::json()> runtime_overview;
  // GET /api/v1/cluster: engine::cluster_status_json of the database. Empty: 503.
  std::function<Result<nlohmann::json>()> cluster;
  // POST /api/v1/cluster/drain: drains this node, answers what it did. Empty: 503.
  std::function<Result<nlohmann::json>()> drain;
};

class ApiServer {
 public:
  ApiServer(ApiConfig config, ApiDeps deps);
  ~ApiServer();  // stop(5 s) when still running
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on a thread of its own. Errors: invalid for a malformed or
  // unresolvable address, a non-loopback address without tokens (unless allowed), TLS files
  // that do not load; unavailable when the port is taken or may not be bound.
  // REQUIRES: not started before.
  Status start();

  // Stops accepting, ends SSE streams, lets in-flight requests finish (waiting past `grace`
  // only with a warning: requests are bounded by the read/write timeouts), then joins.
  // Idempotent; safe before start().
  void stop(std::chrono::milliseconds grace);

  // The bound port (useful with port 0); 0 before start().
  int port() const;

  // Replaces tokens, rate limits and api.allow_remote_without_token for the requests that
  // follow (a config reload); the listen address, TLS and thread count stay as started.
  // Error invalid, and nothing changes, when the server listens beyond loopback and the new
  // settings would leave it open without tokens. check_access() is that test alone.
  Status check_access(const ApiConfig& config) const;
  Status update_access(const ApiConfig& config);

  // HTTPS only: the certificate and key for the connections accepted from now on (SIGHUP);
  // open connections keep theirs. Error invalid when the server was started without TLS.
  Status update_tls(std::shared_ptr<const TlsCredentials> credentials);
  bool serves_tls() const;  // configured with api.tls.*, from construction on
  // "/api/v1/jobs/{id}", "read"}): what the OpenAPI document must describe. Empty before
  // start().
  struct RouteInfo {
    std::string method, path, access;  // access: open | read | operate | admin
  };
  std::vector<RouteInfo> route_table() const;

  // While draining, /ready answers 503 (SIGTERM: load balancers stop sending traffic);
  // every other route keeps working until stop().
  void set_draining(bool draining);
  bool draining() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The API settings of a config: api.listen, api.tokens (each token's secret resolved through
// env:/file: references — a reference that does not resolve is an error, class invalid),
// api.rate_limit.*, api.tls.*, api.allow_remote_without_token.
Result<ApiConfig> api_config_from(const ops::Config& config, const ops::EnvMap& env);

}  // namespace hypersdk::api
