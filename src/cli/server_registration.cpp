#include "cli/server_registration.h"

#include <unistd.h>

#include "api/listen_address.h"
#include "engine/clock.h"
#include "ops/log.h"

namespace hypersdk::cli {
namespace {

// Registry times are real time in every process, even under a test clock.
core::TimeMs real_now() {
  return engine::SystemClock().now_ms();
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

std::string server_address(const api::ApiConfig& api, int port) {
  std::string host = "127.0.0.1";
  if (auto l = api::parse_listen_address(api.listen)) {
    host = l->host;
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const bool tls = !api.tls_cert.empty() && !api.tls_key.empty();
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

ServerRegistration::ServerRegistration(std::shared_ptr<store::ServerRegistry> registry)
    : registry_(std::move(registry)) {}

ServerRegistration::~ServerRegistration() {
  stop();
}

Status ServerRegistration::start(const std::string& address, const std::string& owner) {
  {
    std::lock_guard lock(mu_);
    entry_.address = address;
    entry_.owner = owner;
    entry_.pid = ::getpid();
    entry_.host = hostname();
    entry_.version = HYPERSDK_VERSION;
    const core::TimeMs now = real_now();
    // A row a day stale belongs to a server long dead.
    auto id = registry_->server_register(entry_, now, now - 24 * 3600 * 1000);
    if (!id) {
      ops::log::warn("cannot register in the server registry; CLI commands will use the database",
                     {{"error", id.error().message}});
      return id.error();
    }
    id_ = *id;
  }
  heartbeat_ = std::make_unique<engine::PeriodicService>("server-heartbeat", kServerHeartbeat,
                                                         [this] { return beat(); });
  heartbeat_->start();
  return Status::Ok();
}

Status ServerRegistration::beat() {
  std::lock_guard lock(mu_);
  if (id_ == 0) return Status::Ok();
  Status s = registry_->server_heartbeat(id_, real_now());
  if (s.ok() || s.error().cls != ErrorClass::not_found) return s;
  // Our row was pruned (a stall longer than a day) or deleted by hand: register again, still
  // draining when we were.
  const core::TimeMs now = real_now();
  auto id = registry_->server_register(entry_, now, now - 24 * 3600 * 1000);
  if (!id) return id.error();
  id_ = *id;
  if (entry_.draining) return registry_->server_set_draining(id_, true);
  return Status::Ok();
}

Status ServerRegistration::set_draining() {
  std::lock_guard lock(mu_);
  if (id_ == 0)
    return make_error(ErrorClass::unavailable, "this server is not in the server registry");
  entry_.draining = true;
  return registry_->server_set_draining(id_, true);
}

void ServerRegistration::stop() {
  if (heartbeat_) heartbeat_->stop();
  heartbeat_.reset();
  std::lock_guard lock(mu_);
  if (id_ == 0) return;
  if (Status s = registry_->server_deregister(id_); !s.ok())
    ops::log::warn("cannot remove this server from the registry", {{"error", s.error().message}});
  id_ = 0;
}

}  // namespace hypersdk::cli
