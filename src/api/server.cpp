#include "api/server.h"

#include <httplib.h>

#include <sys/socket.h>
#include <cerrno>
#include <cstring>
#include <thread>

#include "api/gated_server.h"
#include "api/listen_address.h"
#include "api/server_impl.h"
#include "ops/log.h"

namespace hypersdk::api {

Status ApiServer::Impl::check_exposure(const std::string& host, const AccessPolicy& access) const {
  auto loopback = is_loopback_host(host);
  if (!loopback) return loopback.error();
  if (*loopback || access.auth.enabled()) return Status::Ok();
  if (!access.allow_remote_without_token)
    return make_error(ErrorClass::invalid,
                      "refusing to serve the API on non-loopback address " + host +
                          " without tokens: anyone who can reach it could run and cancel "
                          "jobs. Add api.tokens (list of {name, token, role}), listen on "
                          "127.0.0.1, or set api.allow_remote_without_token: true");
  ops::log::warn("API listening on a non-loopback address without tokens", {{"address", host}});
  return Status::Ok();
}

Status ApiServer::Impl::create_server() {
  const ApiConfig& c = state.config();
  if (c.tls_cert.empty() != c.tls_key.empty())
    return make_error(ErrorClass::invalid,
                      "api.tls.cert and api.tls.key must be set together (or both left empty)");
  if (c.tls_cert.empty()) {
    inline_health = std::make_unique<InlineHealth>(state.started(), state.deps().metrics,
                                                   !c.cors_origins.empty());
    auto gated_server =
        std::make_unique<GatedServer>(GatedServer::Options{.threads = std::max(1, c.threads),
                                                           .head_timeout = c.head_timeout,
                                                           .inline_health = inline_health.get()});
    gated = gated_server.get();
    http = std::move(gated_server);
    return Status::Ok();
  }
  auto creds = TlsCredentials::load(c.tls_cert, c.tls_key);
  if (!creds) return creds.error();
  tls = std::make_unique<TlsContext>(std::move(*creds));
  auto server =
      std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return tls->configure(ctx); });
  if (!server->is_valid())
    return make_error(ErrorClass::internal,
                      "cannot set up TLS with the certificate '" + c.tls_cert + "'");
  http = std::move(server);
  return Status::Ok();
}

ApiServer::ApiServer(ApiConfig config, ApiDeps deps)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(deps))) {}

ApiServer::~ApiServer() {
  stop(std::chrono::seconds(5));
}

Status ApiServer::start() {
  Impl& m = *impl_;
  if (m.http) return make_error(ErrorClass::conflict, "the API server was already started");
  auto addr = parse_listen_address(m.state.config().listen);
  if (!addr) return addr.error();
  if (Status s = m.check_exposure(addr->host, *m.state.access()); !s.ok()) return s;
  if (Status s = m.create_server(); !s.ok()) {
    m.gated = nullptr;
    m.http.reset();
    return s;
  }
  m.install_handlers();

  errno = 0;
  int port = addr->port;
  bool bound = false;
  if (port == 0) {
    port = m.http->bind_to_any_port(addr->host);
    bound = port > 0;
  } else {
    bound = m.http->bind_to_port(addr->host, port);
  }
  if (!bound) {
    const int err = errno;
    m.gated = nullptr;
    m.http.reset();
    const std::string where = addr->to_string();
    if (err == EADDRINUSE)
      return make_error(ErrorClass::unavailable,
                        "cannot listen on " + where +
                            ": address already in use (is another hypersdk serve running? "
                            "choose another port with --listen or api.listen)");
    if (err == EACCES)
      return make_error(
          ErrorClass::unavailable,
          "cannot listen on " + where + ": permission denied (ports below 1024 need privileges)");
    if (err == EADDRNOTAVAIL)
      return make_error(ErrorClass::invalid,
                        "cannot listen on " + where + ": the address is not one of this host's");
    return make_error(ErrorClass::unavailable,
                      "cannot listen on " + where +
                          (err ? ": " + std::string(std::strerror(err)) : std::string()));
  }
  // httplib 0.11 listens with a backlog of 5: 32 keep-alive clients reconnecting at once
  // overflowed it, and each dropped handshake waited for a SYN retransmit (p99 of 130-650 ms
  // for /health, issue 14). Listening again on a listening socket only resizes its queue.
  if (m.listen_fd >= 0 && ::listen(m.listen_fd, SOMAXCONN) != 0)
    ops::log::warn("cannot enlarge the API listen backlog; bursts of connections may wait",
                   {{"error.message", std::strerror(errno)}});
  m.port = port;
  m.address = ListenAddress{addr->host, port}.to_string();
  m.host = addr->host;
  m.thread = std::thread([&m] {
    m.http->listen_after_bind();
    if (m.gated) m.gated->shutdown_gate();  // requests in flight finish first
    {
      std::lock_guard lock(m.done_mu);
      m.done = true;
    }
    m.done_cv.notify_all();
  });
  // httplib's stop() does nothing until listen has begun; wait for that so that a stop()
  // right after start() cannot be lost (the accept loop would then run forever).
  while (!m.http->is_running()) {
    std::unique_lock lock(m.done_mu);
    if (m.done_cv.wait_for(lock, std::chrono::milliseconds(1), [&] { return m.done; })) break;
  }
  ops::log::info("API listening", {{"address", m.address},
                                   {"tls", !m.state.config().tls_cert.empty()},
                                   {"auth", m.state.access()->auth.enabled() ? "tokens" : "none"}});
  return Status::Ok();
}

void ApiServer::stop(std::chrono::milliseconds grace) {
  Impl& m = *impl_;
  if (!m.thread.joinable()) return;
  m.state.begin_stop();  // SSE streams end at their next poll
  m.http->stop();        // closes the listening socket; in-flight requests run to completion
  {
    std::unique_lock lock(m.done_mu);
    if (!m.done_cv.wait_for(lock, grace, [&] { return m.done; }))
      ops::log::warn("HTTP requests still running after the grace period; waiting for them",
                     {{"grace_ms", grace.count()}});
  }
  m.thread.join();
  ops::log::info("API stopped", {{"address", m.address}});
}

Status ApiServer::check_access(const ApiConfig& config) const {
  // Before start() there is no listener to expose; start() checks then.
  if (impl_->host.empty()) return Status::Ok();
  return impl_->check_exposure(impl_->host, AccessPolicy(config));
}

Status ApiServer::update_access(const ApiConfig& config) {
  Impl& m = *impl_;
  auto next = std::make_shared<const AccessPolicy>(config);
  if (!m.host.empty())
    if (Status s = m.check_exposure(m.host, *next); !s.ok()) return s;
  m.limiter.set_limits(next->rate_per_second, next->burst);
  m.state.set_access(next);
  ops::log::info("API access settings applied", {{"tokens", config.tokens.size()},
                                                 {"rate_per_second", next->rate_per_second},
                                                 {"burst", next->burst}});
  return Status::Ok();
}

Status ApiServer::update_tls(std::shared_ptr<const TlsCredentials> credentials) {
  if (!impl_->tls)
    return make_error(ErrorClass::invalid,
                      "the API does not serve TLS (yet): switching TLS on needs a restart");
  impl_->tls->replace(std::move(credentials));
  ops::log::info("TLS certificate replaced for new connections",
                 {{"cert", impl_->state.config().tls_cert}});
  return Status::Ok();
}

bool ApiServer::serves_tls() const {
  return !impl_->state.config().tls_cert.empty();
}

std::vector<ApiServer::RouteInfo> ApiServer::route_table() const {
  std::vector<RouteInfo> out;
  for (const Route& r : impl_->routes)
    out.push_back({r.method, r.path, std::string(to_string(r.access))});
  return out;
}

int ApiServer::port() const {
  return impl_->port;
}

void ApiServer::set_draining(bool draining) {
  impl_->state.set_draining(draining);
}

bool ApiServer::draining() const {
  return impl_->state.draining();
}

}  // namespace hypersdk::api
