// What httplib calls for each request of an ApiServer: routing, access checks, errors,
// metrics and the access log (request lifecycle), installed by install_handlers().
#include <httplib.h>
#include <sys/socket.h>

#include <optional>
#include <regex>

#include "api/errors.h"
#include "api/notification_routes.h"
#include "api/request_id.h"
#include "api/security_headers.h"
#include "api/server_impl.h"
#include "ops/log.h"
#include "ops/metrics.h"

namespace hypersdk::api {
namespace {

using Clock = std::chrono::steady_clock;

// What the server knows about the request its thread is handling. httplib runs the
// pre-routing handler, the route handler, the error handler, the post-routing handler and
// the logger of one request on one thread, in that order, so this is per thread; the logger
// (after the answer, streams included, was written) ends it.
struct RequestContext {
  bool active = false;
  std::string id;
  Clock::time_point start;
  std::string route;  // template, or "unmatched"
  std::string principal;
  std::optional<ops::LogScope> scope;  // http.request.id on every line of this request

  void end() {
    scope.reset();
    active = false;
  }
};
thread_local RequestContext t_request;

constexpr const char* kUnmatched = "unmatched";

Role required_role(Access a) {
  switch (a) {
    case Access::admin:
      return Role::admin;
    case Access::operate:
      return Role::operate;
    default:
      return Role::read;
  }
}

std::string status_code_name(int status) {
  switch (status) {
    case 400:
      return "invalid";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "timeout";
    case 413:
      return "payload_too_large";
    case 414:
      return "invalid";
    case 416:
      return "invalid";
    case 503:
      return "unavailable";
    default:
      return status < 500 ? "invalid" : "internal";
  }
}

}  // namespace

bool ApiServer::Impl::admit(const httplib::Request& req, httplib::Response& res, Access access) {
  if (access == Access::open) return true;
  std::optional<Principal> who;
  std::optional<Error> auth_error;
  std::string client = "ip:" + req.remote_addr;
  // One policy for the whole request, even if a reload swaps it meanwhile.
  const auto policy = state.access();
  const Authenticator& auth = policy->auth;
  if (auth.enabled()) {
    auto p = auth.authenticate(req.get_header_value("Authorization"));
    if (p) {
      who = *p;
      client = "token:" + p->name;
    } else {
      auth_error = p.error();
    }
  }
  // Throttle before answering 401 too, so tokens cannot be guessed at full speed.
  const RateDecision d = limiter.acquire(client, Clock::now());
  if (!d.allowed) {
    res.set_header("Retry-After", std::to_string(d.retry_after.count()));
    write_error(res, 429, "rate_limited",
                "too many requests: this client may make " +
                    std::to_string(policy->rate_per_second) + " per second (bursts of " +
                    std::to_string(policy->burst) + "); retry after " +
                    std::to_string(d.retry_after.count()) + " s");
    return false;
  }
  if (!auth.enabled()) return true;
  if (!who) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"hypersdk\"");
    write_error(res, *auth_error);
    return false;
  }
  t_request.principal = who->name;
  if (!Authenticator::allows(*who, required_role(access))) {
    write_error(res, 403, "forbidden",
                "token '" + who->name + "' has role " + std::string(to_string(who->role)) + "; " +
                    req.method + " " + t_request.route + " needs role " +
                    std::string(to_string(required_role(access))));
    return false;
  }
  return true;
}

std::vector<std::string> ApiServer::Impl::allowed_methods(const std::string& path) const {
  std::vector<std::string> out;
  for (const auto& [re, method] : matchers)
    if (std::regex_match(path, re) && std::find(out.begin(), out.end(), method) == out.end())
      out.push_back(method);
  return out;
}

void ApiServer::Impl::on_error(const httplib::Request& req, httplib::Response& res) {
  // A request httplib rejected before routing (bad request line, URI too long) has no id yet.
  if (!res.has_header("X-Request-ID")) res.set_header("X-Request-ID", generate_request_id());
  if (!res.body.empty()) return;  // a handler already wrote the JSON error
  if (res.status == 404) {
    const auto allowed = allowed_methods(req.path);
    if (allowed.empty())
      return write_error(res, 404, "not_found", "no route " + req.method + " " + req.path);
    std::string list;
    for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
    res.set_header("Allow", list);
    return write_error(res, 405, "method_not_allowed",
                       req.method + " is not allowed on " + req.path + " (allowed: " + list + ")");
  }
  if (res.status == 413)
    return write_error(
        res, 413, "payload_too_large",
        "the request body exceeds " + std::to_string(state.config().max_body_bytes) + " bytes");
  write_error(res, res.status, status_code_name(res.status),
              res.status == 400   ? "malformed HTTP request"
              : res.status == 414 ? "the request URI is too long"
                                  : "HTTP status " + std::to_string(res.status));
}

void ApiServer::Impl::on_routed(const httplib::Request& req, httplib::Response& res) {
  // Post-routing runs for every answer, errors and pre-routing rejections included.
  add_security_headers(res, tls != nullptr);
  if (req.method != "OPTIONS") add_cors_headers(req, res, state.config().cors_origins);
  // Recorded before the answer is written, so a client that reads /metrics after getting an
  // answer always sees that request counted.
  ops::Metrics* m = state.deps().metrics;
  if (m == nullptr) return;
  const RequestContext& ctx = t_request;
  const std::string& route = ctx.active ? ctx.route : kUnmatched;
  const double seconds =
      ctx.active ? std::chrono::duration<double>(Clock::now() - ctx.start).count() : 0.0;
  m->http_requests_total(route, req.method, res.status).Increment();
  m->http_request_duration_seconds(route, req.method).Observe(seconds);
}

void ApiServer::Impl::on_finished(const httplib::Request& req, const httplib::Response& res) {
  RequestContext& ctx = t_request;
  if (gated) gated->request_finished();
  const std::string route = ctx.active ? ctx.route : kUnmatched;
  const double seconds =
      ctx.active ? std::chrono::duration<double>(Clock::now() - ctx.start).count() : 0.0;
  // Probes and scrapes arrive every few seconds for the life of the process; when they
  // succeed they are not news.
  const bool probe =
      route == "/api/v1/health" || route == "/api/v1/ready" || route == "/api/v1/metrics";
  const ops::LogLevel level =
      probe && res.status < 400 ? ops::LogLevel::debug : ops::LogLevel::info;
  if (ops::log_enabled(level)) {
    ops::LogFields fields{{"http.request.method", req.method},
                          {"http.route", route},
                          {"url.path", req.path},
                          {"http.response.status_code", res.status},
                          {"duration_ms", seconds * 1000.0},
                          {"client.address", req.remote_addr}};
    if (!ctx.principal.empty()) fields.push_back({"user.name", ctx.principal});
    if (!ctx.active) fields.push_back({"http.request.id", response_request_id(res)});
    ops::log::write(level, "http request", fields);
  }
  ctx.end();
}

void ApiServer::Impl::install_handlers() {
  const ApiConfig& c = state.config();
  httplib::Server& s = *http;
  if (gated == nullptr) {  // TLS: httplib's own pool (see gated_server.h)
    const int threads = std::max(1, c.threads);
    s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  }
  // The gate's inline health answers announce and follow the same (inline_health.h).
  s.set_keep_alive_max_count(kKeepAliveMaxCount);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second serve
  // bind the same port and silently share its traffic.
  s.set_socket_options([this](socket_t sock) {
    listen_fd = sock;  // the last call is the socket that bound (see start())
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_tcp_nodelay(true);
  s.set_read_timeout(c.read_timeout);
  s.set_write_timeout(c.write_timeout);
  s.set_keep_alive_timeout(
      kKeepAliveSeconds);  // an idle keep-alive connection delays stop() by at most this
  s.set_payload_max_length(c.max_body_bytes);

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    RequestContext& ctx = t_request;
    ctx.end();  // in case the previous request on this thread never reached the logger
    ctx.active = true;
    ctx.start = Clock::now();
    ctx.route = kUnmatched;
    ctx.principal.clear();
    ctx.id = accept_request_id(req.get_header_value("X-Request-ID"));
    res.set_header("X-Request-ID", ctx.id);
    ctx.scope.emplace(ops::LogFields{{"http.request.id", ctx.id}});
    if (gated) gated->request_started();
    // Two Content-Length headers are how requests are smuggled past a proxy that reads the
    // other one (RFC 9112 §6.3: an error). httplib 0.11 reads the first and ignores the rest.
    if (req.get_header_value_count("Content-Length") > 1) {
      res.set_header("Connection", "close");
      write_error(res, 400, "invalid",
                  "the request has more than one Content-Length header; send exactly one");
      return httplib::Server::HandlerResponse::Handled;
    }
    // httplib 0.11 applies the body size limit only to bodies with a Content-Length; a
    // chunked body would be read into memory whatever its size.
    if (req.has_header("Transfer-Encoding")) {
      res.set_header("Connection", "close");
      write_error(res, 411, "invalid",
                  "request bodies must be sent with a Content-Length (chunked uploads are "
                  "not accepted)");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        on_error(req, res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                             std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    ops::log::error("unhandled exception in an HTTP handler", {{"error.message", what}});
    res.body.clear();
    write_error(res, 500, "internal", "internal error (see the server log for this request id)");
  });
  s.set_post_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { on_routed(req, res); });
  s.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { on_finished(req, res); });

  if (!c.cors_origins.empty())
    s.Options(".*", [this](const httplib::Request& req, httplib::Response& res) {
      t_request.route = "CORS preflight";
      answer_preflight(req, res, state.config().cors_origins);
    });

  routes.clear();  // a start() that failed to bind may be retried
  matchers.clear();
  for (auto list : {ops_routes(state), job_routes(state), dlq_routes(state), schedule_routes(state),
                    workflow_routes(state), audit_routes(state), target_routes(state),
                    provider_routes(state), web_routes(state), notification_routes(state),
                    dashboard_routes(state), cluster_routes(state)})
    for (auto& r : list) routes.push_back(std::move(r));
  for (const Route& r : routes) {
    const std::string pattern = route_pattern(r.path);
    matchers.emplace_back(std::regex(pattern), r.method);
    auto wrapped = [this, &r](const httplib::Request& req, httplib::Response& res) {
      t_request.route = r.path;
      if (admit(req, res, r.access)) r.handler(req, res);
      audit_request(state, r, req, res, t_request.principal, t_request.id);
    };
    if (r.method == "GET") s.Get(pattern, wrapped);
    if (r.method == "POST") s.Post(pattern, wrapped);
    if (r.method == "DELETE") s.Delete(pattern, wrapped);
    if (r.method == "PUT") s.Put(pattern, wrapped);
  }
}

}  // namespace hypersdk::api
