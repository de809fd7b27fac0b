// Internal to src/api: the state an ApiServer shares with its route handlers — the
// configuration, the access policy, the dependencies, the draining flag, and the stop signal
// that ends long-lived responses (SSE streams) when the server stops.
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "api/auth.h"
#include "api/server.h"

namespace hypersdk::api {

// Who may call and how often: the part of the API settings a config reload changes while
// serving (ApiServer::update_access). Immutable; replaced whole.
struct AccessPolicy {
  explicit AccessPolicy(const ApiConfig& c)
      : auth(c.tokens),
        rate_per_second(c.rate_per_second),
        burst(c.burst),
        allow_remote_without_token(c.allow_remote_without_token) {}

  Authenticator auth;
  int rate_per_second;
  int burst;
  bool allow_remote_without_token;
};

class ServerState {
 public:
  ServerState(ApiConfig config, ApiDeps deps)
      : access_(std::make_shared<const AccessPolicy>(config)),
        config_(without_secrets(std::move(config))),
        deps_(std::move(deps)),
        max_streams_(std::max(1, config_.threads - 2)) {}

  // The settings fixed at start. Tokens, rate limits and remote access live in access().
  const ApiConfig& config() const { return config_; }

  std::shared_ptr<const AccessPolicy> access() const {
    std::lock_guard lock(access_mu_);
    return access_;
  }
  void set_access(std::shared_ptr<const AccessPolicy> access) {
    std::lock_guard lock(access_mu_);
    access_ = std::move(access);
  }

  ApiDeps& deps() { return deps_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

  void set_draining(bool on) { draining_ = on; }
  bool draining() const { return draining_; }

  // Long-lived responses wait here between polls. Returns true once the server is stopping.
  bool wait_for_stop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return stopping_; });
  }
  bool stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }
  void begin_stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }

  // Streams hold an HTTP thread each for their whole life; at most threads - 2 run at once
  // so that probes and ordinary requests always find a thread.
  bool try_open_stream() {
    int n = streams_.load();
    while (n < max_streams_)
      if (streams_.compare_exchange_weak(n, n + 1)) return true;
    return false;
  }
  void close_stream() { --streams_; }
  int max_streams() const { return max_streams_; }

 private:
  static ApiConfig without_secrets(ApiConfig c) {
    c.tokens.clear();
    return c;
  }

  mutable std::mutex access_mu_;
  std::shared_ptr<const AccessPolicy> access_;  // GUARDED_BY(access_mu_)
  const ApiConfig config_;
  ApiDeps deps_;
  const int max_streams_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<bool> draining_{false};
  std::atomic<int> streams_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::api
